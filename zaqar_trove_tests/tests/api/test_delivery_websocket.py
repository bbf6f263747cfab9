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


"""DEL-7: websocket subscriptions push every posted message, each once.

A subscription made without a subscriber URL pushes the queue's new
messages to the connection that made it. Pushed messages carry no id, so
each body carries a (producer, seq) key. Pushing consumes nothing: the
messages stay in the queue. Arrival order is not part of the contract
(Zaqar's notifier pushes from a thread pool).
"""

import collections
import uuid

from tempest import config
from tempest.lib import decorators

from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.api import base

CONF = config.CONF

#: Seconds a test keeps listening after the last expected push, for
#: duplicates or pushes that should not come.
STRAGGLERS = 1.0


def keys(pushed):
    """(producer, seq) of each pushed message, counted."""
    return collections.Counter((m['body']['producer'], m['body']['seq'])
                               for m in pushed)


class WebsocketPushTest(base.MessagingTest):

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.websocket:
            raise cls.skipException('The websocket API is not deployed')
        if not CONF.zaqar_trove_feature_enabled.push:
            raise cls.skipException('Subscriptions do not push')

    def setUp(self):
        super().setUp()
        self.queue = resources.create_queue(self.primary, self.addCleanup)
        self.run_id = uuid.uuid4().hex
        self.timeout = CONF.zaqar_trove.build_timeout

    def connect(self):
        connection = self.primary.websocket()
        self.addCleanup(connection.close)
        return connection

    def subscriber(self, *queues):
        """A connection subscribed to ``queues``; subscription ids."""
        connection = self.connect()
        return connection, [connection.subscription_create(
            queue, ttl=3600)['subscription_id'] for queue in queues]

    def post(self, channel, producer, count, batch, queue=None):
        bodies = [delivery.body(self.run_id, producer, n)
                  for n in range(count)]
        delivery.post_bodies(channel, queue or self.queue, bodies, batch)
        return {(producer, n): 1 for n in range(count)}

    def http(self):
        return delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary)))

    def receive(self, connection, expected):
        """Pushes until every key of ``expected`` came, then stragglers."""
        pushed = delivery.receive_pushed(
            connection, lambda got: set(expected) <= set(keys(got)),
            self.timeout)
        return pushed + delivery.receive_pushed(
            connection, lambda got: False, STRAGGLERS)

    @decorators.idempotent_id('d6e4dd18-5440-451c-8d9a-749a1417ceca')
    def test_subscriber_gets_every_message_once(self):
        connection, _ = self.subscriber(self.queue)
        expected = self.post(self.http(), 'http', 20, batch=5)
        expected.update(self.post(delivery.WebsocketChannel(self.connect()),
                                  'ws', 20, batch=4))
        pushed = self.receive(connection, expected)
        self.assertEqual(expected, dict(keys(pushed)))
        self.assertEqual({self.queue}, {m['queue_name'] for m in pushed})
        self.assertEqual({self.run_id}, {m['body']['run'] for m in pushed})
        self.assertEqual(len(expected), self.primary.queues.show_queue_stats(
            self.queue)['messages']['free'])

    @decorators.idempotent_id('64f1329b-31aa-4546-a2b5-e72435cbf212')
    def test_every_subscriber_gets_every_message_once(self):
        subscribers = [self.subscriber(self.queue)[0] for _ in range(3)]
        expected = self.post(self.http(), 'http', 10, batch=5)
        for connection in subscribers:
            self.assertEqual(expected,
                             dict(keys(self.receive(connection, expected))))

    @decorators.idempotent_id('bdec81e6-fb15-4bd7-a8e6-32e84ce8a14a')
    def test_push_stops_when_the_subscription_is_deleted(self):
        """Steps: subscribe to two queues; a push arrives; unsubscribe one.

        A message posted to the unsubscribed queue, then one to the other
        queue: only the second is pushed.
        """
        other = resources.create_queue(self.primary, self.addCleanup)
        connection, (subscription, _) = self.subscriber(self.queue, other)
        before = self.post(self.http(), 'before', 1, batch=1)
        self.assertEqual(before, dict(keys(self.receive(connection,
                                                        before))))
        connection.subscription_delete(self.queue, subscription)
        self.post(self.http(), 'after', 1, batch=1)
        control = self.post(self.http(), 'control', 1, batch=1, queue=other)
        self.assertEqual(control, dict(keys(self.receive(connection,
                                                         control))))

    @decorators.idempotent_id('505e8575-c938-441c-94f0-284c16889b4a')
    def test_subscription_ends_with_its_connection(self):
        connection, (subscription, ) = self.subscriber(self.queue)
        listed = self.primary.subscriptions.list_subscriptions(self.queue)
        self.assertIn(subscription, [s['id'] for s in listed['subscriptions']])
        connection.close()
        waiters.wait_until(
            lambda: not self.primary.subscriptions.list_subscriptions(
                self.queue)['subscriptions'],
            self.timeout, interval=0.2, what='subscription gone')
