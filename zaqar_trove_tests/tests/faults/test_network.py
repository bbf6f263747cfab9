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

"""FLT-N: the network between the drivers and their broker goes bad.

Through fault proxies (common/faults/proxy: processes on loopback,
placed by pointing a party's URL at them, ``base.NetworkPath``) rather
than by stopping a service, so these tests need no control of the stack
and run in parallel. Each contract runs on zaqar:// and on rabbit:// (the
control: the same proxy, raw, in front of RabbitMQ), and counts what the
outage table counts: acknowledged casts lost or run twice, calls' ends.

- A lossy path (``100 +- 50`` ms each way, 5 % of the chunks a
  retransmission late) between the guests and the broker: every call
  succeeds within its timeout, nothing lost or run twice.
- One guest partitioned for 30 s (everything held, then delivered, as TCP
  does across a partition that heals): its calls end in MessagingTimeout
  on time, another guest's calls all succeed meanwhile, it serves again
  after healing without a restart, and every cast acknowledged for it
  during the partition runs once.
- The broker slow (every answer 2 s late) for a minute, for every party:
  calls end by their deadline (success or MessagingTimeout), the
  process's threads do not pile up, and once it is fast again nothing
  acknowledged is lost or run twice.
- The servers' connections half-open for 20 s (everything swallowed
  both ways, no RST; the connections it caught stay silent after): calls
  end on time; once the path heals the servers notice their dead
  connections and serve again by themselves; nothing runs twice, and
  nothing acknowledged is lost on zaqar:// (rabbit://: at most once,
  losses reported).
- The push websocket half-open (zaqar:// only: frames swallowed both
  ways, no RST, as when a NAT forgets the connection): each driver
  notices within 3 * PING s plus the reconnect's own wait (its pings go
  unanswered) and polls meanwhile; once the path heals every driver
  connects again by itself; every acknowledged cast runs exactly once.
"""

import collections
import logging
import sys
import threading
import time
import traceback
from urllib import parse

from oslo_config import cfg
from tempest.lib import decorators

from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common.faults import proxy as fault_proxy
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base

#: push_ping_interval (s) of the drivers under test.
PING = 1
DRIVERS = 3
#: The lossy path: latency (ms, each way), its jitter, late chunks (%).
LATENCY, JITTER, LOSS = 100, 50, 5
#: Calls that must succeed through the lossy path.
LOSSY_CALLS = 40
#: How long (s) one guest stays partitioned.
PARTITION = 30
#: How long (s) the servers' connections stay half-open.
HALF_OPEN = 20
#: oslo's rabbit heartbeat_timeout_threshold (60 s), checked at its
#: heartbeat_rate, and a reconnect: 105 s after healing here.
RABBIT_HEARTBEAT_BOUND = 180
#: How late (s) the slow broker answers, and for how long (s).
SLOW, SLOW_FOR = 2, 60
#: Broker answers an oslo rabbit:// publish waits for when it opens a
#: pooled connection (connection start, tune, open, channel open,
#: confirm select, exchange declare, the publish's confirm): it does
#: whenever the stream's cast and call publish at once and the pool
#: holds one connection (README Findings:
#: rabbit-call-timeout-after-publish). A pooled connection waits for one.
RABBIT_OPEN_ANSWERS = 7
#: RPC servers behind the slow broker.
SERVERS = 2
#: Threads the process may gain while the broker is slow, besides the
#: RPC servers' executor workers (oslo's pool, bounded by
#: executor_thread_pool_size per server): a pile-up of one thread per
#: request would pass it within seconds.
THREAD_ALLOWANCE = 5
#: The role (see _threads) of an oslo RPC server's executor worker.
EXECUTOR_WORKER = 'futurist/_thread.py:run'
#: Seconds between the requests of the lossy path's stream: a guest's
#: rate. zaqar:// takes one message per claim round trip, so behind
#: 200 ms round trips its servers fall behind the fault stream's full
#: rate (README, Faults).
LOSSY_INTERVAL = 0.5


def _threads():
    """``Counter`` of this process's threads by what they run.

    A thread's role is the first function of its stack outside the
    threading module (``module:function``).
    """
    roles = collections.Counter()
    for frame in sys._current_frames().values():
        stack = traceback.extract_stack(frame)
        outer = [f for f in stack if not f.filename.endswith('threading.py')]
        roles['%s:%s' % ('/'.join(outer[0].filename.split('/')[-2:]),
                         outer[0].name) if outer else 'threading'] += 1
    return roles


def _hold(until):
    """Let a fault last until the monotonic time ``until``."""
    threading.Event().wait(max(0.0, until - time.monotonic()))


class NetworkContract(base.FaultTest):

    def _check_lossy_path(self):
        guests = self.network_path()
        stream = self.stream(server_url=guests.url, interval=LOSSY_INTERVAL)
        stream.wait_flowing()
        guests.toxic('latency', ms=LATENCY, jitter=JITTER)
        guests.toxic('loss', percent=LOSS)
        began = time.monotonic()
        stream.wait_flowing(count=LOSSY_CALLS)
        lossy_s = time.monotonic() - began
        late = sum(p.stats()['faults'].get('loss/late', 0)
                   for p in guests.proxies)
        guests.clear_toxic('latency')
        guests.clear_toxic('loss')
        lost = self.finish(stream, {
            'fault': 'guests behind %d+-%d ms, %d %% late chunks' % (
                LATENCY, JITTER, LOSS),
            'transport': self.scheme(), 'lossy_s': round(lossy_s, 2),
            'late_chunks': late})
        self.assertGreater(late, 0, 'the path lost nothing')
        self.assert_intact(stream, lost, allowed=(ledgers.OK,))

    def _check_partitioned_guest(self):
        cut_off, other = self.network_path(), self.network_path()
        stream = self.stream(servers=1, server_url=cut_off.url)
        bystander = self.stream(servers=1, server_url=other.url)
        stream.wait_flowing()
        bystander.wait_flowing()
        cut = time.monotonic()
        cut_off.toxic('partition')
        _hold(cut + PARTITION)
        cut_off.clear_toxic('partition')
        healed = time.monotonic()
        recovery = stream.wait_resumed(healed, base.RECOVERY_BOUND)
        stream.wait_flowing()
        during = [r for r in stream.calls.results()
                  if r.started >= cut and r.ended < healed]
        casts_during = len(stream.ledger.acked_since(cut)) - len(
            stream.ledger.acked_since(healed))
        row = {'fault': 'one guest partitioned %d s' % PARTITION,
               'transport': self.scheme(),
               'recovery_s': round(recovery, 2),
               'casts_while_cut': casts_during}
        lost = self.finish(stream, row)
        lost_by_bystander = self.finish(bystander, {
            'fault': 'another guest while one is partitioned',
            'transport': self.scheme()})
        self.assertTrue(during, 'no call was made during the partition')
        self.assertEqual({'MessagingTimeout'},
                         {r.outcome for r in during})
        self.assertGreater(casts_during, 0, 'no cast sent while cut off')
        self.assert_intact(stream, lost)
        self.assert_intact(bystander, lost_by_bystander,
                           allowed=(ledgers.OK,))

    def _check_half_open_servers(self, recovery_bound, at_most_once=False,
                                 twice_possible=False):
        servers = self.network_path()
        stream = self.stream(server_url=servers.url)
        stream.wait_flowing()
        cut = time.monotonic()
        servers.toxic('half_open')
        stream.wait_outage_seen(cut)
        _hold(cut + HALF_OPEN)
        servers.clear_toxic('half_open')
        healed = time.monotonic()
        recovery = stream.wait_resumed(healed, recovery_bound)
        stream.wait_flowing()
        lost = self.finish(stream, {
            'fault': 'servers\' connections half-open %d s' % HALF_OPEN,
            'transport': self.scheme(), 'recovery_s': round(recovery, 2)})
        self.assert_intact(stream, lost, at_most_once=at_most_once,
                           twice_possible=twice_possible)

    def _check_slow_broker(self, slack=base.SLACK):
        broker = self.network_path()
        stream = self.stream(url=broker.url, servers=SERVERS)
        stream.wait_flowing()
        before = _threads()
        slow = time.monotonic()
        broker.toxic('slow', seconds=SLOW)
        peak = before
        while time.monotonic() < slow + SLOW_FOR:
            now = _threads()
            if sum(now.values()) > sum(peak.values()):
                peak = now
            _hold(time.monotonic() + 0.5)
        broker.clear_toxic('slow')
        fast = time.monotonic()
        recovery = stream.wait_resumed(fast, base.RECOVERY_BOUND)
        stream.wait_flowing()
        lost = self.finish(stream, {
            'fault': 'broker answers %d s late for %d s' % (SLOW, SLOW_FOR),
            'transport': self.scheme(), 'recovery_s': round(recovery, 2),
            'calls_while_slow': len(stream.calls.successes_since(slow)) -
            len(stream.calls.successes_since(fast)),
            'threads': [sum(before.values()), sum(peak.values())],
            'thread_growth': dict(peak - before)})
        workers = peak[EXECUTOR_WORKER] - before[EXECUTOR_WORKER]
        self.assertLessEqual(
            workers, SERVERS * cfg.CONF.executor_thread_pool_size,
            'more executor workers than oslo.messaging allows')
        others = peak - before
        others.pop(EXECUTOR_WORKER, None)
        self.assertLessEqual(sum(others.values()), THREAD_ALLOWANCE,
                             'threads piled up while the broker was slow: '
                             '%s' % dict(others))
        self.assert_intact(stream, lost, slack=slack)


class NetworkZaqarTest(rpc_base.ZaqarMixin, NetworkContract):

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('fbbd4153-f39d-4199-b712-94693db56d5c')
    def test_half_open_servers(self):
        self._check_half_open_servers(base.RECOVERY_BOUND)

    @decorators.attr(type='faults')
    @decorators.idempotent_id('685e3343-7e12-40ff-9ac9-d28661e92782')
    def test_lossy_path(self):
        self._check_lossy_path()

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('7761339f-7d50-4821-84a9-082ca4848a03')
    def test_partitioned_guest(self):
        self._check_partitioned_guest()

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('ff79950c-81e4-4c74-85a3-c32167168e9c')
    def test_slow_broker(self):
        self._check_slow_broker()


class NetworkRabbitTest(rpc_base.RabbitMixin, NetworkContract):

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('76d001cb-546f-4959-a84d-1789d8fd8e09')
    def test_half_open_servers(self):
        # The connections stay silent after healing: oslo's rabbit driver
        # notices by its heartbeats (heartbeat_timeout_threshold, 60 s).
        # At most once: it acknowledges before dispatch. Not even that
        # here: an acknowledgement lost with the connection makes the
        # broker deliver the cast again (README Findings:
        # rabbit-redelivers-after-lost-ack); the row counts it.
        self._check_half_open_servers(RABBIT_HEARTBEAT_BOUND,
                                      at_most_once=True, twice_possible=True)

    @decorators.attr(type='faults')
    @decorators.idempotent_id('e23b28c3-f910-4ee3-86d1-c5c305f449cc')
    def test_lossy_path(self):
        self._check_lossy_path()

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('e88683ec-2b55-4fde-8ad0-dce9606197a9')
    def test_partitioned_guest(self):
        self._check_partitioned_guest()

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('5995725c-c631-47ec-871d-180895461261')
    def test_slow_broker(self):
        # oslo's amqpdriver waits the call's whole timeout after the
        # publish returned, so a publish slowed by the broker adds to the
        # call: up to a new connection's answers, each SLOW late (README
        # Findings: rabbit-call-timeout-after-publish).
        self._check_slow_broker(
            slack=base.SLACK + RABBIT_OPEN_ANSWERS * SLOW)


class WebsocketHalfOpenTest(rpc_base.ZaqarMixin, base.FaultTest):

    @decorators.attr(type='faults')
    @decorators.idempotent_id('d694e479-d219-4441-b5b9-ed7f932d6d43')
    def test_push_websocket_half_open(self):
        url = self.transport_url()
        websocket = parse.urlsplit(
            dict(parse.parse_qsl(parse.urlsplit(url).query))[
                'websocket_url'])
        proxy = self.useFixture(fault_proxy.FaultProxy(websocket.hostname,
                                                       websocket.port))
        push_log = self.useFixture(ledgers.LogRecorder(
            'zaqar_trove_tests.rpc.push'))
        stream = self.stream(rpc_urls.derive(
            url, websocket_url='ws://%s:%d' % (proxy.host, proxy.port),
            push_ping_interval=PING))
        stream.wait_flowing()
        cut = time.monotonic()
        proxy.toxic('half_open')
        waiters.wait_until(
            lambda: len(push_log.messages('reconnecting', since=cut,
                                          level=logging.WARNING)) >= DRIVERS,
            base.RECOVERY_BOUND, interval=0.05,
            what='every driver noticing its websocket went silent')
        noticed = time.monotonic() - cut
        polling = time.monotonic()
        stream.wait_flowing(count=10)
        calls_while_cut = len(stream.calls.successes_since(polling))
        proxy.clear_toxic('half_open')
        healed = time.monotonic()
        waiters.wait_until(
            lambda: len(push_log.messages('connected again',
                                          since=cut)) >= DRIVERS,
            base.RECOVERY_BOUND, interval=0.05,
            what='every driver connected to the websocket again')
        reconnected = time.monotonic()
        stream.wait_flowing()
        row = {'fault': 'push websocket half-open (frames dropped, no RST)',
               'transport': self.scheme(),
               'noticed_s': round(noticed, 2),
               'outage_s': round(healed - cut, 2),
               'recovery_s': round(reconnected - healed, 2),
               'calls_while_down': calls_while_cut}
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost)
        self.assertEqual({}, stream.ledger.refusals())
