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

"""Zaqar v2 messages: ``/v2/queues/{name}/messages[/{id}]``."""

from zaqar_trove_tests.api_schema.v2 import messages as schema
from zaqar_trove_tests.services.messaging import base


class MessagesClient(base.MessagingClient):

    def post_messages(self, queue_name, messages):
        """POST a batch: 201, ``resources`` holds one href per message.

        :param messages: ``[{'body': ..., 'ttl': int, 'delay': int}, ...]``
            (``ttl``/``delay`` optional); the batch is all-or-nothing.
        """
        resp, body = self.post(self.url('queues', queue_name, 'messages'),
                               self.dumps({'messages': messages}))
        return self.respond(schema.post_messages, resp, body)

    def list_messages(self, queue_name, limit=None, marker=None, echo=None,
                      include_claimed=None, include_delayed=None):
        """GET a page of messages; 200 with ``messages`` and ``links``.

        ``echo`` false (the default) hides this ``Client-ID``'s own
        messages; an unknown queue gives an empty page, not 404.
        """
        resp, body = self.get(self.url(
            'queues', queue_name, 'messages', limit=limit, marker=marker,
            echo=echo, include_claimed=include_claimed,
            include_delayed=include_delayed))
        return self.respond(schema.list_messages, resp, body)

    def show_messages(self, queue_name, message_ids):
        """GET ``?ids=``: the messages that exist; 404 when none does."""
        resp, body = self.get(self.url('queues', queue_name, 'messages',
                                       ids=message_ids))
        return self.respond(schema.show_messages, resp, body)

    def show_message(self, queue_name, message_id):
        """GET one message by id."""
        resp, body = self.get(self.url('queues', queue_name, 'messages',
                                       message_id))
        return self.respond(schema.show_message, resp, body)

    def delete_message(self, queue_name, message_id, claim_id=None):
        """DELETE one message; a claimed one needs its ``claim_id``."""
        resp, body = self.delete(self.url('queues', queue_name, 'messages',
                                          message_id, claim_id=claim_id))
        return self.respond(schema.delete_message, resp, body)

    def delete_messages(self, queue_name, message_ids, claim_ids=None):
        """DELETE ``?ids=``: 204, whether or not the messages existed.

        ``claim_ids`` only counts when Zaqar's
        ``message_delete_with_claim_id`` is set.
        """
        resp, body = self.delete(self.url(
            'queues', queue_name, 'messages', ids=message_ids,
            claim_ids=claim_ids))
        return self.respond(schema.delete_messages, resp, body)

    def pop_messages(self, queue_name, count):
        """DELETE ``?pop=count``: 200 with the removed messages."""
        resp, body = self.delete(self.url('queues', queue_name, 'messages',
                                          pop=count))
        return self.respond(schema.pop_messages, resp, body)
