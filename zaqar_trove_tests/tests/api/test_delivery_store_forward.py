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


"""DEL-5: messages posted before any consumer exists are kept for it.

The producer posts to a queue nobody created (the post creates it) and
goes away; a consumer that did not exist then (a new Client-ID, over
HTTP or the websocket) later gets every message, once, with its body
(in order where the store promises FIFO).
"""

import uuid

from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.tests.api import base

CONF = config.CONF


class StoreAndForwardTest(base.MessagingTest):

    def setUp(self):
        super().setUp()
        # The first post creates the queue: its cleanup is registered now.
        self.queue = resources.queue_name()
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.primary.queues.delete_queue, self.queue)
        self.run_id = uuid.uuid4().hex

    def channel(self):
        return delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary)))

    def produce(self, count=30, batch=10):
        """Post ``count`` messages from a producer that then goes away."""
        bodies = [delivery.body(self.run_id, 'early', n)
                  for n in range(count)]
        posted = delivery.post_bodies(self.channel(), self.queue, bodies,
                                      batch)
        return dict(zip(posted, bodies))

    def assert_delivered(self, posted, delivered):
        got = [m['id'] for m in delivered]
        if CONF.zaqar_trove_feature_enabled.fifo:
            self.assertEqual(list(posted), got)
        else:
            self.assertEqual(sorted(posted), sorted(got))
        self.assertEqual(posted, {m['id']: m['body'] for m in delivered})

    @decorators.idempotent_id('dcbb8b32-6c77-4ee8-91a8-2c06f2223252')
    def test_consumer_started_later_gets_every_earlier_message(self):
        self.assertNotIn(self.queue,
                         resources.list_queue_names(self.primary))
        posted = self.produce()
        self.assertIn(self.queue, resources.list_queue_names(self.primary))
        delivered = delivery.drain(self.channel(), self.queue, limit=7)
        self.assert_delivered(posted, delivered)

    @decorators.idempotent_id('4d7c3bb3-ca63-4e35-bb9c-263ffdbf6ea2')
    def test_explicit_create_after_posting_keeps_the_messages(self):
        posted = self.produce()
        self.primary.queues.create_queue(self.queue)
        delivered = delivery.drain(self.channel(), self.queue, limit=7)
        self.assert_delivered(posted, delivered)

    @decorators.idempotent_id('f34c7cb9-e6d9-4483-aa20-5c411e2f50ec')
    def test_websocket_consumer_started_later_gets_every_message(self):
        if not CONF.zaqar_trove_feature_enabled.websocket:
            raise self.skipException('The websocket API is not deployed')
        posted = self.produce()
        connection = self.primary.websocket()
        self.addCleanup(connection.close)
        delivered = delivery.drain(delivery.WebsocketChannel(connection),
                                   self.queue, limit=7)
        self.assert_delivered(posted, delivered)

    @decorators.idempotent_id('91146786-aa2d-499b-8579-b4ee6154f472')
    def test_consumers_of_several_waiting_queues_get_their_own(self):
        """Backlogs on two never-created queues stay apart."""
        other = resources.queue_name()
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.primary.queues.delete_queue, other)
        posted = self.produce(count=12, batch=4)
        bodies = [delivery.body(self.run_id, 'other', n) for n in range(5)]
        other_posted = dict(zip(delivery.post_bodies(
            self.channel(), other, bodies, 5), bodies))
        consumer = self.channel()
        self.assert_delivered(posted, delivery.drain(consumer, self.queue, 5))
        self.assert_delivered(other_posted, delivery.drain(consumer, other, 5))
