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

"""Zaqar v2 queues: ``/v2/queues``, ``/v2/queues/{name}[/stats|/purge]``."""

from zaqar_trove_tests.api_schema.v2 import queues as schema
from zaqar_trove_tests.services.messaging import base


class QueuesClient(base.MessagingClient):

    def list_queues(self, limit=None, marker=None, detailed=None,
                    with_count=None, name=None):
        """GET /v2/queues: a page of queues and a ``next`` link.

        ``count`` is in the body only when ``with_count`` is true and the
        project has at least one queue.
        """
        resp, body = self.get(self.url(
            'queues', limit=limit, marker=marker, detailed=detailed,
            with_count=with_count, name=name))
        return self.respond(schema.list_queues, resp, body)

    def create_queue(self, queue_name, metadata=None):
        """PUT /v2/queues/{name}: 201 when created, 204 when it existed.

        Without ``metadata`` no body is sent.
        """
        body = None if metadata is None else self.dumps(metadata)
        resp, body = self.put(self.url('queues', queue_name), body)
        return self.respond(schema.create_queue, resp, body)

    def show_queue(self, queue_name):
        """GET /v2/queues/{name}: the metadata, reserved keys filled in."""
        resp, body = self.get(self.url('queues', queue_name))
        return self.respond(schema.show_queue, resp, body)

    def update_queue(self, queue_name, changes):
        """PATCH /v2/queues/{name} with a JSON patch; the new metadata.

        :param changes: ``[{'op': 'add'|'replace'|'remove',
            'path': '/metadata/<key>', 'value': ...}, ...]``.
        """
        headers = self.get_headers(send_type=base.JSON_PATCH_TYPE)
        resp, body = self.patch(self.url('queues', queue_name),
                                self.dumps(changes), headers=headers)
        return self.respond(schema.update_queue, resp, body)

    def delete_queue(self, queue_name):
        """DELETE /v2/queues/{name}: 204, also when there is no queue."""
        resp, body = self.delete(self.url('queues', queue_name))
        return self.respond(schema.delete_queue, resp, body)

    def show_queue_stats(self, queue_name):
        """GET /v2/queues/{name}/stats: message counts (and age bounds)."""
        resp, body = self.get(self.url('queues', queue_name, 'stats'))
        return self.respond(schema.show_queue_stats, resp, body)

    def purge_queue(self, queue_name, resource_types=None):
        """POST /v2/queues/{name}/purge: drop messages and/or subscriptions.

        :param resource_types: a subset of ``['messages', 'subscriptions']``;
            None sends no body (Zaqar then purges both).
        """
        body = (None if resource_types is None
                else self.dumps({'resource_types': resource_types}))
        resp, body = self.post(self.url('queues', queue_name, 'purge'), body)
        return self.respond(schema.purge_queue, resp, body)
