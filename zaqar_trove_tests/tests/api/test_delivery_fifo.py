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


"""DEL-2: one producer's messages are delivered in the order it posted.

Only where the message store promises FIFO (redis does):
``[zaqar_trove_feature_enabled] fifo``. Claim batches deliberately cut
across post batches.
"""

import uuid

from tempest import config
from tempest.lib import decorators

from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.tests.api import base

CONF = config.CONF


class FifoTest(base.MessagingTest):

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.fifo:
            raise cls.skipException('The message store promises no FIFO')

    def setUp(self):
        super().setUp()
        self.queue = resources.create_queue(self.primary, self.addCleanup)
        self.run_id = uuid.uuid4().hex

    def channel(self):
        return delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary)))

    def post(self, channel, producer, count, batch):
        bodies = [delivery.body(self.run_id, producer, n)
                  for n in range(count)]
        return delivery.post_bodies(channel, self.queue, bodies, batch)

    @decorators.idempotent_id('40b5f042-5313-4163-a85f-7f24f9f29d55')
    def test_claims_follow_post_order_across_batches(self):
        self.post(self.channel(), 'p', 50, batch=10)
        delivered = delivery.drain(self.channel(), self.queue, limit=7)
        self.assertEqual(list(range(50)), delivery.seqs(delivered))

    @decorators.idempotent_id('1cd9bdff-3820-455b-a287-0b2aa97dde6f')
    def test_each_producer_order_kept_when_producers_interleave(self):
        ledger = delivery.Ledger()
        producers = [delivery.Producer(
            name, self.channel(), self.queue,
            [delivery.body(self.run_id, name, n) for n in range(30)],
            ledger, batch=3) for name in ('a', 'b')]
        for producer in producers:
            producer.start()
        for producer in producers:
            producer.join(CONF.zaqar_trove.build_timeout)
        self.assertEqual([], ledger.errors)
        delivered = delivery.drain(self.channel(), self.queue, limit=4)
        self.assertEqual(60, len(delivered))
        self.assertEqual(list(range(30)), delivery.seqs(delivered, 'a'))
        self.assertEqual(list(range(30)), delivery.seqs(delivered, 'b'))

    @decorators.idempotent_id('a7644f27-1be5-4414-853f-e873c755a6f2')
    def test_single_message_posts_keep_their_order(self):
        channel = self.channel()
        self.post(channel, 'p', 12, batch=1)
        delivered = delivery.drain(self.channel(), self.queue, limit=5)
        self.assertEqual(list(range(12)), delivery.seqs(delivered))

    @decorators.idempotent_id('13639f0d-06c2-4766-a848-d9f175b97da1')
    def test_websocket_claims_follow_post_order(self):
        if not CONF.zaqar_trove_feature_enabled.websocket:
            raise self.skipException('The websocket API is not deployed')
        connection = self.primary.websocket()
        self.addCleanup(connection.close)
        self.post(delivery.WebsocketChannel(connection), 'p', 25, batch=4)
        delivered = delivery.drain(delivery.WebsocketChannel(connection),
                                   self.queue, limit=6)
        self.assertEqual(list(range(25)), delivery.seqs(delivered))
