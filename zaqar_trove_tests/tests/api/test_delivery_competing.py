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


"""DEL-1: competing consumers share a queue's messages, each exactly once.

Consumers (threads, each with its own Client-ID) claim and delete from
one queue while producers post; ``common.delivery.Ledger`` accounts for
every message: the delivered set is the posted set, nothing twice, no
message owned by two live claims at once, and the queue ends empty.
"""

from tempest import config
from tempest.lib import decorators

from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.tests.api import base

CONF = config.CONF


class CompetingTestBase(base.MessagingTest):
    """What the competing-consumer tests share; holds no test."""

    def setUp(self):
        super().setUp()
        self.queue = resources.create_queue(self.primary, self.addCleanup)

    def http_channels(self, count):
        return [delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary))) for _ in range(count)]

    def websocket_channels(self, count):
        channels = []
        for _ in range(count):
            connection = self.primary.websocket()
            self.addCleanup(connection.close)
            channels.append(delivery.WebsocketChannel(connection))
        return channels

    def compete(self, producers, consumers, count, **kwargs):
        timeout = CONF.zaqar_trove.build_timeout + count // 10
        return delivery.compete(producers, consumers, self.queue, count,
                                timeout, **kwargs)

    def assert_queue_empty(self, ledger):
        stats = self.primary.queues.show_queue_stats(self.queue)['messages']
        self.assertEqual(0, stats['total'], 'messages left in %s: %s\n%s' % (
            self.queue, stats, ledger.summary()))

    def check_every_message_once(self, ledger):
        self.assertEqual({}, ledger.faults(), ledger.summary())
        self.assertEqual([], ledger.steals(), ledger.summary())
        self.assert_queue_empty(ledger)


class CompetingConsumersTest(CompetingTestBase):

    @decorators.idempotent_id('40af0771-ecc2-4f3a-be9a-8e1db1aadee5')
    def test_competing_consumers_get_every_message_once(self):
        ledger = self.compete(
            self.http_channels(2),
            self.http_channels(CONF.zaqar_trove.competing_consumers),
            CONF.zaqar_trove.competing_messages)
        self.check_every_message_once(ledger)

    @decorators.idempotent_id('bee9dd33-2db1-47e2-9c06-2a1b5d9105e0')
    def test_http_and_websocket_consumers_get_every_message_once(self):
        if not CONF.zaqar_trove_feature_enabled.websocket:
            raise self.skipException('The websocket API is not deployed')
        half = max(1, CONF.zaqar_trove.competing_consumers // 2)
        ledger = self.compete(
            self.http_channels(1) + self.websocket_channels(1),
            self.http_channels(half) + self.websocket_channels(half),
            CONF.zaqar_trove.competing_messages)
        self.check_every_message_once(ledger)


class ReleasingConsumersTest(CompetingTestBase):
    """Consumers that give claims back."""

    @decorators.idempotent_id('a8dece61-da1a-4ff4-9af4-4bd9ebe20476')
    def test_consumers_releasing_claims_process_every_message_once(self):
        """Every third claim is given back; each message is deleted once.

        Released messages are delivered again (to any consumer), but a
        message must never be handed to a second claim while the first
        still holds it. Consumers claim one message at a time, as far as
        Zaqar's redis store keeps that promise: a claim of several
        messages reaching past a released one also takes messages that
        live claims hold (Findings, claim-steals-claimed, reproduced by
        test_delivery_claims).
        """
        ledger = self.compete(
            self.http_channels(2),
            self.http_channels(CONF.zaqar_trove.competing_consumers),
            CONF.zaqar_trove.competing_messages, limit=1, release_every=3)
        self.check_every_message_once(ledger)
