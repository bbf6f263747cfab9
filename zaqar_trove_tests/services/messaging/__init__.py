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

"""Zaqar v2 REST clients (tempest.lib ``RestClient``), one method per call.

Every method builds its URL, sends the request, validates the response
against the strict schema of ``zaqar_trove_tests.api_schema.v2`` and
returns a ``tempest.lib.common.rest_client.ResponseBody`` (empty for a 204;
the HTTP response, with its headers, is ``.response``).

Error contract (tempest.lib.exceptions, raised by ``RestClient``):
``BadRequest`` 400, ``Unauthorized`` 401 (missing/invalid token),
``Forbidden`` 403 (policy; a claimed message deleted without its claim),
``NotFound`` 404 (also every refused pre-signed URL), ``NotAcceptable``
406, ``Conflict`` 409, ``InvalidContentType`` 415 (PATCH without the
JSON-patch type), ``ServerFault`` 500, ``UnexpectedResponseCode`` 503 and
others; ``UnexpectedContentType`` when an error is not JSON or text; a
success status the schema does not list fails ``expected_success``; a
body or header that breaks the schema raises ``InvalidHTTPResponseBody``
/ ``InvalidHTTPResponseHeader``.

The identity a request carries comes from the auth provider (keystone
token by default; see ``zaqar_trove_tests.services.auth`` for signed-URL,
no-auth and arbitrary-header providers) plus ``Client-ID`` and the
optional ``X-Project-ID`` of ``base.MessagingClient``. Imports
``api_schema`` and tempest.lib only.
"""

from zaqar_trove_tests.services.messaging.claims import ClaimsClient
from zaqar_trove_tests.services.messaging.health import HealthClient
from zaqar_trove_tests.services.messaging.messages import MessagesClient
from zaqar_trove_tests.services.messaging.queues import QueuesClient
from zaqar_trove_tests.services.messaging.shares import SharesClient
from zaqar_trove_tests.services.messaging.subscriptions import \
    SubscriptionsClient

__all__ = ['ClaimsClient', 'HealthClient', 'MessagesClient', 'QueuesClient',
           'SharesClient', 'SubscriptionsClient']
