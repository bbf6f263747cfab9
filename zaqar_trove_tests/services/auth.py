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

"""Identity carried by other means than a keystone token.

``StaticAuthProvider`` is a ``tempest.lib.auth.AuthProvider`` that sends
every request to a fixed base URL with fixed headers and never talks to
keystone, so the typed clients of ``services.messaging`` can speak as
anybody. Three uses, all with the same clients::

    from zaqar_trove_tests.services import auth
    from zaqar_trove_tests.services import messaging

    base = primary_queues_client.base_url       # Zaqar from the catalog

    # (a) a pre-signed URL: its headers and no token
    signed = primary_shares_client.create_signed_url(
        queue, paths=['messages'], methods=['GET'])
    msgs = auth.build_client(messaging.MessagesClient,
                             auth.signed_url(base, signed))
    # ... or tampered: auth.signed_url(base, signed,
    #                                  overrides={'URL-Methods': 'GET,POST'})

    # (b) no identity at all (add x_project_id=... for a Zaqar without
    #     keystone)
    anon = auth.build_client(messaging.QueuesClient, auth.no_auth(base))

    # (c) any token and/or headers, e.g. B's token with A's project
    mixed = auth.build_client(
        messaging.QueuesClient,
        auth.token(base, alt_auth_provider.get_token(),
                   project_id=primary_project_id))

The provider's headers are applied last, so they win over the client's
own ``X-Project-ID``; the client's ``Client-ID`` is still sent (set the
client's ``client_id`` attribute to None to leave it out).
"""

import copy

from tempest.lib import auth as tempest_auth


def signed_url_headers(signed, overrides=None, for_websocket=False):
    """The headers a pre-signed URL consists of.

    :param signed: the body of ``SharesClient.create_signed_url`` (keys
        ``paths``, ``methods``, ``project``, ``expires``, ``signature``).
    :param overrides: header name -> value replacing (None: removing)
        a header, to tamper with one field.
    :param for_websocket: ``URL-Methods`` and ``URL-Paths`` as JSON lists
        (Zaqar's websocket API needs lists; HTTP takes comma-separated).
    """
    def joined(values):
        return list(values) if for_websocket else ','.join(values)

    headers = {
        'URL-Signature': signed['signature'],
        'URL-Expires': signed['expires'],
        'URL-Methods': joined(signed['methods']),
        'URL-Paths': joined(signed['paths']),
        'X-Project-ID': signed['project'],
    }
    for name, value in (overrides or {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


def token_headers(token, project_id=None):
    """``X-Auth-Token`` (and ``X-Project-ID`` if given)."""
    headers = {'X-Auth-Token': token}
    if project_id is not None:
        headers['X-Project-ID'] = project_id
    return headers


class StaticAuthProvider(tempest_auth.AuthProvider):
    """A fixed base URL and fixed headers; no keystone, no catalog.

    :param base_url: e.g. ``http://127.0.0.1:8888`` (the clients append
        ``v2/...``).
    :param headers: added to (and overriding) every request's headers.
    :param credentials: optional ``tempest.lib.auth.Credentials`` for
        bookkeeping only (what ``client.project_id`` returns).
    """

    def __init__(self, base_url, headers=None, credentials=None):
        super().__init__(credentials or tempest_auth.KeystoneV3Credentials())
        self._base_url = base_url.rstrip('/')
        self.headers = dict(headers or {})

    @classmethod
    def check_credentials(cls, credentials):
        return isinstance(credentials, tempest_auth.Credentials)

    def _decorate_request(self, filters, method, url, headers=None,
                          body=None, auth_data=None):
        _headers = copy.deepcopy(headers) if headers is not None else {}
        _headers.update(self.headers)
        _url = self._base_url
        if url:
            _url = '%s/%s' % (self._base_url, url.lstrip('/'))
        return _url, _headers, body

    def _get_auth(self):
        return None, {}

    def _fill_credentials(self, auth_data_body):
        pass

    def is_expired(self, auth_data):
        return False

    def base_url(self, filters, auth_data=None):
        return self._base_url

    def get_token(self):
        return self.headers.get('X-Auth-Token')


def no_auth(base_url):
    """(b) Requests without any identity header."""
    return StaticAuthProvider(base_url)


def signed_url(base_url, signed, overrides=None):
    """(a) Requests carrying a pre-signed URL (see signed_url_headers)."""
    return StaticAuthProvider(base_url, signed_url_headers(signed, overrides))


def token(base_url, token, project_id=None, extra_headers=None):
    """(c) Requests with any token, project and extra headers."""
    headers = token_headers(token, project_id)
    headers.update(extra_headers or {})
    return StaticAuthProvider(base_url, headers)


def build_client(client_class, auth_provider, **kwargs):
    """A messaging client on ``auth_provider`` (service/region unused)."""
    return client_class(auth_provider, 'messaging', '', **kwargs)
