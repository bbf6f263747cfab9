# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""What every Zaqar v2 client shares: identity headers, URLs, decoding."""

from urllib import parse
import uuid

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client

API_PREFIX = 'v2'

#: Content type Zaqar requires for ``PATCH /v2/queues/{name}``.
JSON_PATCH_TYPE = 'openstack-messaging-v2.0-json-patch'


def query_value(value):
    """Encode a query parameter the way Zaqar (falcon) parses it."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(str(v) for v in value)
    return value


def resource_id(response_body):
    """The last path segment of a response's ``Location``, or None."""
    location = response_body.response.get('location')
    if not location:
        return None
    return parse.urlsplit(location).path.rstrip('/').rsplit('/', 1)[-1]


class MessagingClient(rest_client.RestClient):
    """Base of the Zaqar v2 clients.

    :param client_id: the ``Client-ID`` header (a new uuid4 by default);
        the attribute ``client_id`` may be changed at any time (None:
        no header).
    :param x_project_id: an ``X-Project-ID`` header to send (needed by a
        Zaqar without auth, overridden by keystonemiddleware otherwise);
        the attribute ``x_project_id`` may be changed at any time.

    The catalog endpoint is unversioned (``http://host:port``); every
    URL the clients build starts with ``v2/``.

    Beware: keyword arguments given to tempest's client factory
    (``os_primary.zaqar_trove_messaging.QueuesClient(client_id=...)``)
    stick to the factory and reach every later client it builds; set the
    attributes on the instance instead.
    """

    def __init__(self, auth_provider, service, region, client_id=None,
                 x_project_id=None, **kwargs):
        super().__init__(auth_provider, service, region, **kwargs)
        self.client_id = client_id or str(uuid.uuid4())
        self.x_project_id = x_project_id

    def get_headers(self, accept_type=None, send_type=None):
        headers = super().get_headers(accept_type, send_type)
        if self.client_id is not None:
            headers['Client-ID'] = self.client_id
        if self.x_project_id is not None:
            headers['X-Project-ID'] = self.x_project_id
        return headers

    @staticmethod
    def url(*segments, **query):
        """``v2/<segments quoted>?<query>``; None query values are left out.

        Booleans become ``true``/``false`` and lists comma-separated,
        as Zaqar expects.
        """
        path = '/'.join([API_PREFIX] +
                        [parse.quote(str(s), safe='') for s in segments])
        params = sorted((k, query_value(v)) for k, v in query.items()
                        if v is not None)
        if params:
            path += '?' + parse.urlencode(params, safe=',')
        return path

    @staticmethod
    def dumps(document):
        return json.dumps(document)

    def respond(self, schema, resp, body):
        """Decode ``body``, validate it against ``schema``, wrap it."""
        document = json.loads(body) if body else None
        self.validate_response(schema, resp, document)
        return rest_client.ResponseBody(resp, document)
