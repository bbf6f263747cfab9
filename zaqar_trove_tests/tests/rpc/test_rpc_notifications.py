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


"""RPC-9: notifications.

A notifier (its own transport) publishes on a fresh topic; listeners
(another transport) started before it:

- priorities: one notification per priority reaches the endpoint method of
  that priority once, with its publisher, event type and payload;
- pools: every pool gets every notification once, and within a pool one
  listener gets it; a pool that starts while the notifier runs gets
  everything sent after it started;
- batches: a batch listener gets every notification once, in batches no
  larger than its batch size, more than one notification in some batch.
"""

import oslo_messaging as om
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.rpc import base

PUBLISHER = 'ztt.publisher'
POOL_NOTIFICATIONS = 10
BATCH_NOTIFICATIONS = 12
BATCH_SIZE = 5
BATCH_TIMEOUT = 2
DUPLICATE_WINDOW = 3
#: How long after the early pool the late one may complete.
LATE_POOL_WINDOW = 10
DELIVERY_TIMEOUT = 30


class NotificationsContract(base.RpcTest):

    def setUp(self):
        super().setUp()
        self.topic_name = self.topic('notify')
        self.targets = [om.Target(topic=self.topic_name)]
        self.listen_transport = self.notification_transport()

    def listen(self, endpoint, **kwargs):
        self.useFixture(harness.Listener(self.listen_transport, self.targets,
                                         [endpoint], **kwargs))
        return endpoint

    def notifier(self):
        return om.Notifier(self.notification_transport(),
                           publisher_id=PUBLISHER, driver='messaging',
                           topics=[self.topic_name])

    def _check_priorities(self):
        endpoint = self.listen(rpc_endpoints.NotificationRecorder('all'))
        notifier = self.notifier()
        for priority in rpc_endpoints.PRIORITIES:
            getattr(notifier, priority)({}, 'ztt.%s' % priority,
                                        {'priority': priority, 'ü': '✓'})
        count = len(rpc_endpoints.PRIORITIES)
        waiters.wait_until(lambda: len(endpoint.record.values()) >= count,
                           DELIVERY_TIMEOUT, what='one notification per '
                           'priority')
        harness.never(lambda: len(endpoint.record.values()) > count,
                      DUPLICATE_WINDOW, 'a notification delivered twice')
        for priority in rpc_endpoints.PRIORITIES:
            self.assertEqual(
                [(PUBLISHER, 'ztt.%s' % priority,
                  {'priority': priority, 'ü': '✓'})],
                endpoint.record.values(priority))

    def _check_pools(self):
        pools = {data_utils.rand_name('ztt-pool'): ['a', 'b']
                 for _ in range(2)}
        members = {}
        for pool, names in pools.items():
            members[pool] = [self.listen(
                rpc_endpoints.NotificationRecorder(name), pool=pool)
                for name in names]
        notifier = self.notifier()
        sent = list(range(POOL_NOTIFICATIONS))
        for n in sent:
            notifier.info({}, 'ztt.pooled', n)

        def received(pool):
            return sorted(p for e in members[pool] for p in e.payloads())

        waiters.wait_until(
            lambda: all(len(received(pool)) >= len(sent) for pool in pools),
            DELIVERY_TIMEOUT, what='every notification in every pool')
        harness.never(lambda: any(len(received(pool)) > len(sent)
                                  for pool in pools),
                      DUPLICATE_WINDOW, 'a notification twice in one pool')
        for pool in pools:
            self.assertEqual(sent, received(pool), pool)

    def _check_late_pool(self):
        early = self.listen(rpc_endpoints.NotificationRecorder('early'),
                            pool=data_utils.rand_name('ztt-early'))
        notifier = self.notifier()
        notifier.info({}, 'ztt.before', 'before')
        waiters.wait_until(lambda: early.payloads(), DELIVERY_TIMEOUT,
                           what='the first notification')
        # A pool that joins a running system: the notifier has sent
        # before, the pool gets everything sent after it started.
        late = self.listen(rpc_endpoints.NotificationRecorder('late'),
                           pool=data_utils.rand_name('ztt-late'))
        sent = list(range(POOL_NOTIFICATIONS))
        for n in sent:
            notifier.info({}, 'ztt.after', n)
        waiters.wait_until(lambda: len(early.payloads()) > len(sent),
                           DELIVERY_TIMEOUT, what='every notification in '
                           'the early pool')
        try:
            waiters.wait_until(lambda: len(late.payloads()) >= len(sent),
                               LATE_POOL_WINDOW, what='the late pool')
        except lib_exc.TimeoutException:
            pass  # The assertion below says what is missing.
        harness.never(lambda: len(late.payloads()) > len(sent),
                      DUPLICATE_WINDOW,
                      'a notification twice in the late pool')
        self.assertEqual(['before'] + sent, early.payloads())
        self.assertEqual(sent, sorted(late.payloads()))

    def _check_batches(self):
        endpoint = self.listen(rpc_endpoints.BatchRecorder('batch'),
                               batch_size=BATCH_SIZE,
                               batch_timeout=BATCH_TIMEOUT)
        notifier = self.notifier()
        sent = list(range(BATCH_NOTIFICATIONS))
        for n in sent:
            notifier.info({}, 'ztt.batched', n)

        def received():
            return sorted(p for batch in endpoint.batches() for p in batch)

        waiters.wait_until(lambda: len(received()) >= len(sent),
                           DELIVERY_TIMEOUT, what='every notification '
                           'in batches')
        harness.never(lambda: len(received()) > len(sent), DUPLICATE_WINDOW,
                      'a notification delivered twice')
        sizes = [len(batch) for batch in endpoint.batches()]
        self.assertEqual(sent, received())
        self.assertLessEqual(max(sizes), BATCH_SIZE, sizes)
        self.assertGreater(max(sizes), 1, sizes)


class NotificationsZaqarTest(base.ZaqarMixin, NotificationsContract):

    @decorators.idempotent_id('6f0d0715-c98d-4f17-87a1-e1a7b930fd4d')
    def test_each_priority_reaches_its_method(self):
        self._check_priorities()

    @decorators.idempotent_id('ea117f19-3ff9-40e5-a856-6456b8761a64')
    def test_each_pool_gets_each_notification_once(self):
        self._check_pools()

    @decorators.idempotent_id('e0f0a072-cf18-49a6-9e43-2ceed02403a9')
    def test_a_pool_joining_later_gets_what_follows(self):
        self._check_late_pool()

    @decorators.idempotent_id('d991bb6f-8695-4329-9144-5d8eb210667b')
    def test_batches_deliver_each_notification_once(self):
        self._check_batches()


class NotificationsRabbitTest(base.RabbitMixin, NotificationsContract):

    @decorators.idempotent_id('95d39c36-39c4-427d-856e-6dd07ff0d1a4')
    def test_each_priority_reaches_its_method(self):
        self._check_priorities()

    @decorators.idempotent_id('6cfad3c1-ecb3-4a65-b969-0b7e769c26c3')
    def test_each_pool_gets_each_notification_once(self):
        self._check_pools()

    @decorators.idempotent_id('2c4e0cc7-d49a-43f4-98a6-65e93afa6cea')
    def test_a_pool_joining_later_gets_what_follows(self):
        self._check_late_pool()

    @decorators.idempotent_id('c2c30311-5b04-4a30-b485-eddd946c4a96')
    def test_batches_deliver_each_notification_once(self):
        self._check_batches()
