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

"""Zaqar v2 liveness: ``/v2/ping`` and (admin mode only) ``/v2/health``."""

from zaqar_trove_tests.api_schema.v2 import health as schema
from zaqar_trove_tests.services.messaging import base


class HealthClient(base.MessagingClient):

    def ping(self):
        """GET /v2/ping: 204 when the storage answers (503 otherwise)."""
        resp, body = self.get(self.url('ping'))
        return self.respond(schema.ping, resp, body)

    def head_ping(self):
        """HEAD /v2/ping: 204 whatever the storage says."""
        resp, body = self.head(self.url('ping'))
        return self.respond(schema.ping, resp, body)

    def show_health(self):
        """GET /v2/health: storage details (admin mode and role only).

        The route exists only when Zaqar runs with ``admin_mode``; policy
        ``health:get`` wants the admin role.
        """
        resp, body = self.get(self.url('health'))
        return self.respond(schema.show_health, resp, body)
