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


"""FLT: Redis, Zaqar's message store, killed (SIGKILL) and restarted.

What survives, with the persistence the local stack configures
(``stack.configs.redis_conf``: ``appendonly yes``, ``appendfsync
everysec``, no RDB snapshots): Redis appends every write to its AOF
before it answers, so a killed Redis *process* loses nothing Zaqar was
told was stored (a crash of the machine could lose the last second).
Messages, claims and subscriptions live in Redis; queues and their
metadata in the management store (sqlite), which the fault leaves alone.

Contract: casts acknowledged before the kill -- a backlog nobody consumed
yet, and the stream's -- are all executed exactly once after the restart;
while Redis is down Zaqar answers 503 and callers get oslo exceptions, not
hangs: a cast with ``retry=0`` raises ``MessageDeliveryFailure`` within
``REFUSAL_BOUND`` s (Zaqar retries Redis for a few seconds first), a call
raises ``MessagingTimeout`` within its timeout; the servers resume by
themselves within ``RECOVERY_BOUND`` s.

Steps: post a backlog to a topic without servers; stream to another
topic; kill Redis; probe with a cast and a call; start Redis; measure the
recovery; start a server for the backlog; count both ledgers.
"""

import time

import oslo_messaging as om
from tempest.lib import decorators

from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base

BACKLOG = 20
#: A refused cast must fail within this (s): Zaqar retries Redis ~4 s.
REFUSAL_BOUND = 15
PROBE_TIMEOUT = 3


class RedisRestartTest(rpc_base.ZaqarMixin, base.ServiceFaultTest):

    def probe(self, client, row):
        """While Redis is down: how a cast and a call fail."""
        error, elapsed = harness.timed_failure(
            om.MessageDeliveryFailure, client.prepare(retry=0).cast, {},
            'note', key='probe-cast')
        row['cast_refused_s'] = round(elapsed, 2)
        row['cast_error'] = str(error)[:200]
        self.assertLess(elapsed, REFUSAL_BOUND)
        _, elapsed = harness.timed_failure(
            om.MessagingTimeout, client.prepare(timeout=PROBE_TIMEOUT).call,
            {}, 'echo', key='probe-call')
        row['call_timeout_s'] = round(elapsed, 2)
        self.assertLess(elapsed, PROBE_TIMEOUT + base.SLACK)

    @decorators.attr(type='faults')
    @decorators.idempotent_id('5b2ab4ba-4f17-48ae-8b8a-6577c9ff539a')
    def test_redis_killed_under_a_stream(self):
        backlog_topic = self.topic('backlog')
        backlog = ledgers.Ledger()
        sender = self.client(self.transport(), backlog_topic)
        for number in range(BACKLOG):
            key = 'b%d' % number
            backlog.sending(key)
            sender.cast({}, 'note', key=key)
            backlog.acked(key)
        stream = self.stream()
        service = self.service('redis')
        stream.wait_flowing()
        row = {'fault': 'redis killed and restarted',
               'transport': self.scheme()}
        interruption = self.interrupt(
            service, stream, during=lambda: self.probe(sender, row))
        row.update(interruption.row())
        self.server(self.transport(),
                    om.Target(topic=backlog_topic, server='late'),
                    ledgers.LedgerEndpoint(backlog, 'late'))
        started = time.monotonic()
        backlog_lost = ledgers.wait_settled(backlog, base.SETTLE)
        row['backlog'] = backlog.summary()
        row['backlog_settle_s'] = round(time.monotonic() - started, 2)
        lost = self.finish(stream, row)
        self.assertEqual([], backlog_lost, 'backlog casts lost')
        self.assertEqual({}, backlog.duplicated())
        self.assert_intact(stream, lost)
