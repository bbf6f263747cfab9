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

"""Zaqar v2 claims: ``/v2/queues/{name}/claims[/{id}]``."""

from zaqar_trove_tests.api_schema.v2 import claims as schema
from zaqar_trove_tests.services.messaging import base


def _claim_document(ttl, grace):
    return {k: v for k, v in (('ttl', ttl), ('grace', grace))
            if v is not None}


class ClaimsClient(base.MessagingClient):

    def claim_messages(self, queue_name, ttl=None, grace=None, limit=None):
        """POST a claim: 201 with ``messages``, or 204 and no body.

        The claim id is ``base.resource_id(result)`` (from ``Location``);
        None when nothing was claimed.
        """
        resp, body = self.post(
            self.url('queues', queue_name, 'claims', limit=limit),
            self.dumps(_claim_document(ttl, grace)))
        if resp.status == 204:
            return self.respond(schema.claim_messages_none, resp, body)
        return self.respond(schema.claim_messages, resp, body)

    def show_claim(self, queue_name, claim_id):
        """GET a claim: its ``age``, ``ttl``, ``messages`` and ``href``."""
        resp, body = self.get(self.url('queues', queue_name, 'claims',
                                       claim_id))
        return self.respond(schema.show_claim, resp, body)

    def update_claim(self, queue_name, claim_id, ttl=None, grace=None):
        """PATCH a claim (renew): 204."""
        resp, body = self.patch(
            self.url('queues', queue_name, 'claims', claim_id),
            self.dumps(_claim_document(ttl, grace)))
        return self.respond(schema.update_claim, resp, body)

    def release_claim(self, queue_name, claim_id):
        """DELETE a claim: its messages are free at once; 204."""
        resp, body = self.delete(self.url('queues', queue_name, 'claims',
                                          claim_id))
        return self.respond(schema.release_claim, resp, body)
