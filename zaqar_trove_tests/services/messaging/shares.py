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

"""Zaqar v2 pre-signed URLs: ``POST /v2/queues/{name}/share``."""

from zaqar_trove_tests.api_schema.v2 import shares as schema
from zaqar_trove_tests.services.messaging import base


class SharesClient(base.MessagingClient):

    def create_signed_url(self, queue_name, paths=None, methods=None,
                          expires=None):
        """Sign access to a queue; 200 with the signed fields.

        :param paths: subset of ``['messages', 'claims', 'subscriptions']``
            (Zaqar's default: messages).
        :param methods: HTTP methods (Zaqar's default: ``['GET']``).
        :param expires: ``YYYY-MM-DDTHH:MM:SS`` (UTC); default one day.
        :returns: ``paths`` (absolute), ``methods``, ``project``,
            ``expires`` and ``signature``: feed it to
            ``services.auth.signed_url_headers``.
        """
        document = {k: v for k, v in (('paths', paths), ('methods', methods),
                                      ('expires', expires))
                    if v is not None}
        resp, body = self.post(self.url('queues', queue_name, 'share'),
                               self.dumps(document))
        return self.respond(schema.create_signed_url, resp, body)
