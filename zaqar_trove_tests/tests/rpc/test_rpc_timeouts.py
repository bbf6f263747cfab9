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


"""RPC-2 and RPC-8: calls that end without a reply.

RPC-2 a call nobody answers raises ``MessagingTimeout`` close to its
timeout, and the request it abandoned is never executed, not even by a
server that starts afterwards (Zaqar keeps messages at least 60 s: the
driver carries a deadline). RPC-8 with ``call_monitor_timeout`` the
server's heartbeats keep a call longer than that alive, and a server
killed mid-call ends the call after about ``call_monitor_timeout``, well
before its timeout.
"""

import concurrent.futures
import time

import oslo_messaging as om
from tempest.lib import decorators

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import process as rpc_process
from zaqar_trove_tests.tests.rpc import base

TIMEOUT = 3
#: How late after its timeout a MessagingTimeout may come.
SLACK = 2
#: call_monitor_timeout of RPC-8 (oslo heartbeats every half of it).
MONITOR = 4
LONG_WORK = 9
LONG_TIMEOUT = 60
#: Seconds a restarted server is given to wrongly run a stale request.
STALE_WINDOW = 5


class TimeoutsContract(base.RpcTest):

    def _check_timeout_without_server(self):
        transport = self.transport()
        client = self.client(transport, self.topic('nobody'),
                             timeout=TIMEOUT)
        for target in ({}, {'server': 'ghost'}):
            _, elapsed = harness.timed_failure(
                om.MessagingTimeout, client.prepare(**target).call, {},
                'echo', value='unanswered')
            self.assertGreaterEqual(elapsed, TIMEOUT)
            self.assertLess(elapsed, TIMEOUT + SLACK)

    def _check_abandoned_call_not_executed(self):
        transport = self.transport()
        topic = self.topic('abandoned')
        target = om.Target(topic=topic, server='late')
        endpoint = rpc_endpoints.Recorder('late')
        client = self.client(transport, topic, timeout=30)
        # A first life declares the server's queues and proves it serves.
        first = self.server(transport, target, endpoint)
        self.assertEqual('before', client.call({}, 'echo',
                                               value='before')['value'])
        first.stop()
        for stale in ({'server': 'late'}, {}):
            _, elapsed = harness.timed_failure(
                om.MessagingTimeout, client.prepare(timeout=TIMEOUT,
                                                    **stale).call,
                {}, 'echo', value='stale')
            self.assertLess(elapsed, TIMEOUT + SLACK)
        self.server(transport, target, endpoint)
        for fresh in ({'server': 'late'}, {}):
            self.assertEqual('fresh', client.prepare(**fresh).call(
                {}, 'echo', value='fresh')['value'])
        harness.never(lambda: 'stale' in endpoint.values('echo'), STALE_WINDOW,
                      'an abandoned call executed')
        self.assertEqual(['before', 'fresh', 'fresh'],
                         endpoint.values('echo'))

    def _check_heartbeats_keep_long_call_alive(self):
        transport = self.transport()
        topic = self.topic('long')
        endpoint = rpc_endpoints.Recorder('worker')
        self.server(transport, om.Target(topic=topic, server='worker'),
                    endpoint)
        client = self.client(transport, topic, timeout=LONG_TIMEOUT,
                             call_monitor_timeout=MONITOR)
        answer, elapsed = harness.timed(client.call, {}, 'work', value='long',
                                        seconds=LONG_WORK)
        self.assertEqual('long', answer['value'])
        self.assertGreaterEqual(elapsed, LONG_WORK)
        self.assertEqual(['long'], endpoint.values('work'))

    def _check_dead_server_ends_call(self):
        topic = self.topic('dying')
        process = self.useFixture(rpc_process.ServerProcess(
            self.transport_url(), topic, 'doomed'))
        client = self.client(self.transport(), topic, timeout=LONG_TIMEOUT,
                             call_monitor_timeout=MONITOR)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(
                harness.timed_failure, om.MessagingTimeout,
                client.prepare(server='doomed').call, {}, 'work',
                value='doomed', seconds=LONG_TIMEOUT * 2)
            process.wait_for('BEGIN work doomed', LONG_TIMEOUT)
            killed_at = time.monotonic()
            process.kill()
            _, elapsed = future.result()
            after_kill = time.monotonic() - killed_at
        self.assertGreaterEqual(elapsed, MONITOR)
        self.assertLess(after_kill, MONITOR + SLACK)
        self.assertLess(elapsed, LONG_TIMEOUT / 2)


class TimeoutsZaqarTest(base.ZaqarMixin, TimeoutsContract):

    @decorators.idempotent_id('10a3198e-dca9-41c9-8b37-19fb106eb90c')
    def test_call_without_server_times_out_on_time(self):
        self._check_timeout_without_server()

    @decorators.idempotent_id('521cae47-f0ae-4946-b93d-63308c69acb7')
    def test_abandoned_call_is_never_executed(self):
        self._check_abandoned_call_not_executed()

    @decorators.idempotent_id('45a1c682-75bb-4b09-bc51-7c52baa12151')
    def test_heartbeats_keep_a_long_call_alive(self):
        self._check_heartbeats_keep_long_call_alive()

    @decorators.idempotent_id('741a52d6-4964-4f5d-b334-a4c353c8a180')
    def test_killed_server_ends_the_call(self):
        self._check_dead_server_ends_call()


class TimeoutsZaqarPollTest(base.ZaqarPollMixin, TimeoutsContract):

    @decorators.idempotent_id('fe82d77a-2348-4a31-95dc-ca5aaa4a6e89')
    def test_call_without_server_times_out_on_time(self):
        self._check_timeout_without_server()

    @decorators.idempotent_id('9b46045d-adff-4cfa-bb54-1dbc702c703e')
    def test_abandoned_call_is_never_executed(self):
        self._check_abandoned_call_not_executed()

    @decorators.idempotent_id('2b9f99ba-20c8-4a32-85b2-36832c55fde5')
    def test_heartbeats_keep_a_long_call_alive(self):
        self._check_heartbeats_keep_long_call_alive()

    @decorators.idempotent_id('36152b8c-1c3d-4c92-a705-e88b111b9efd')
    def test_killed_server_ends_the_call(self):
        self._check_dead_server_ends_call()


class TimeoutsRabbitTest(base.RabbitMixin, TimeoutsContract):

    @decorators.idempotent_id('a663726d-3a43-4ffe-843d-9f649e70e0c3')
    def test_call_without_server_times_out_on_time(self):
        self._check_timeout_without_server()

    @decorators.idempotent_id('ed9dcdff-dc36-47e0-9cc4-63e285a5f4f3')
    def test_abandoned_call_is_never_executed(self):
        self._check_abandoned_call_not_executed()

    @decorators.idempotent_id('19633001-586f-491b-b94f-ad47af6db09a')
    def test_heartbeats_keep_a_long_call_alive(self):
        self._check_heartbeats_keep_long_call_alive()

    @decorators.idempotent_id('2a34e2dc-4994-4c31-8d6e-dead99753fd4')
    def test_killed_server_ends_the_call(self):
        self._check_dead_server_ends_call()
