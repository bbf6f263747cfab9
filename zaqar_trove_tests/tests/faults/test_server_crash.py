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


"""FLT: an RPC server killed (SIGKILL) in the middle of dispatching.

A server runs in a child process (``rpc_process.ServerProcess``), a
second server of the same topic in this one. The child dies (SIGKILL)
while it executes three requests: a call and a cast sent to it by name
(its own queue), both begun a while ago, and a cast it took from the
topic queue it shares, in whose dispatch it kills itself.

Contract (oslo.messaging acknowledges an RPC request before dispatching
it: at-most-once): the caller of the interrupted call gets
``MessagingTimeout`` within its timeout; none of the three requests is
ever executed again -- not by the other server, not by a new server of the
same name -- however long one waits for a redelivery (on ``zaqar://`` a
claim the dead server never deleted would come back after the claim TTL,
so the test watches past it, ``redelivery_window``); meanwhile the other
server answers every call and cast sent to the topic.

Steps: both servers; the call, the named cast, then ``crash`` casts to
the topic until the child takes one and dies; the call times out; calls
and casts to the topic; a new child of the same name answers a call;
watch for re-executions; count.
"""

import concurrent.futures
import time

import oslo_messaging as om
from tempest.lib import decorators

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import process as rpc_process
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base

#: What the killed server was doing: its ``work`` never ends by itself.
FOREVER = 3600
WHILE_DEAD = 10
#: Timeout (s) of the interrupted call: it is still waiting when the
#: server dies.
CALL_TIMEOUT = 30


class Survivor(rpc_endpoints.Recorder):
    """The in-process server: ``work`` and ``crash`` record, return."""

    def work(self, ctxt, value, seconds):
        self.record.add('work', value)
        return {'server': self.name, 'value': value}

    def crash(self, ctxt, value):
        self.record.add('crash', value)


class ServerCrashContract(base.FaultTest):

    #: How long (s) to watch for a request of the dead server coming back.
    redelivery_window = None

    def child(self, topic):
        return self.useFixture(rpc_process.ServerProcess(
            self.transport_url(), topic, 'doomed'))

    def crash_from_topic(self, client, doomed, survivor):
        """Cast ``crash`` to the topic until the child takes one (and dies).

        :returns: the value of the cast it died executing.
        """
        for number in range(40):
            value = 'topic-%d' % number
            client.cast({}, 'crash', value=value)

            def taker():
                if 'BEGIN crash %s' % value in doomed.lines:
                    return 'child'
                if value in survivor.values('crash'):
                    return 'survivor'
            if waiters.wait_until(taker, base.CALL_TIMEOUT * 6,
                                  interval=0.05,
                                  what='a server taking %s' % value) == (
                                      'child'):
                return value
        raise AssertionError('the child never took a cast from the topic')

    def _check_killed_mid_dispatch(self):
        topic = self.topic('crash')
        doomed = self.child(topic)
        survivor = Survivor('survivor')
        self.server(self.transport(), om.Target(topic=topic,
                                                server='survivor'), survivor)
        client = self.client(self.transport(), topic,
                             timeout=base.CALL_TIMEOUT)
        to_doomed = client.prepare(server='doomed')
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            call = pool.submit(harness.timed_failure, om.MessagingTimeout,
                               to_doomed.prepare(timeout=CALL_TIMEOUT).call,
                               {}, 'work', value='named-call',
                               seconds=FOREVER)
            doomed.wait_for('BEGIN work named-call', CALL_TIMEOUT)
            to_doomed.cast({}, 'work', value='named-cast', seconds=FOREVER)
            doomed.wait_for('BEGIN work named-cast', CALL_TIMEOUT)
            # It dies inside the dispatch of a request from the topic.
            from_topic = self.crash_from_topic(client, doomed, survivor)
            waiters.wait_until(lambda: doomed.process.poll() is not None,
                               CALL_TIMEOUT, what='the child dead')
            killed = time.monotonic()
            _, elapsed = call.result()
        interrupted = ['named-cast', from_topic, 'named-call']
        self.assertLess(elapsed, CALL_TIMEOUT + base.SLACK)
        answers = [client.call({}, 'echo', value='dead-%d' % n)
                   for n in range(WHILE_DEAD)]
        self.assertEqual(['survivor'] * WHILE_DEAD,
                         [a['server'] for a in answers])
        casts = ['dead-cast-%d' % n for n in range(WHILE_DEAD)]
        for value in casts:
            client.cast({}, 'note', value=value)
        waiters.wait_until(
            lambda: sorted(survivor.values('note')) == sorted(casts),
            base.CALL_TIMEOUT * 6, interval=0.1,
            what='the casts sent while the child was dead')
        reborn = self.child(topic)
        self.assertEqual('doomed', to_doomed.call(
            {}, 'echo', value='reborn')['server'])

        def again():
            began = [line.split()[-1] for line in reborn.lines
                     if line.startswith('BEGIN ')]
            return ([v for v in interrupted if v in began] +
                    [v for v in survivor.values('work') +
                     survivor.values('crash') if v in interrupted])
        try:
            harness.never(again, max(0, killed + self.redelivery_window -
                                     time.monotonic()),
                          'a request of the killed server executed again')
        finally:
            self.attach_report({
                'fault': 'rpc server killed mid-dispatch',
                'transport': self.scheme(), 'interrupted': interrupted,
                'call_s': round(elapsed, 2), 'executed_again': again(),
                'watched_s': self.redelivery_window,
                'casts_while_dead': len(casts)})
        self.assertEqual(sorted(casts), sorted(survivor.values('note')))


class ServerCrashZaqarTest(rpc_base.ZaqarMixin, ServerCrashContract):

    # The driver's claim TTL (60 s) and some.
    redelivery_window = 75

    @decorators.attr(type=['faults', 'slow'])
    @decorators.idempotent_id('f8b9ebb1-5253-4181-8035-895354d40361')
    def test_server_killed_mid_dispatch(self):
        self._check_killed_mid_dispatch()


class ServerCrashRabbitTest(rpc_base.RabbitMixin, ServerCrashContract):

    # RabbitMQ requeues unacknowledged messages when the consumer dies.
    redelivery_window = 10

    @decorators.attr(type='faults')
    @decorators.idempotent_id('f5f4efb1-6adc-4237-9165-9339cb3114c7')
    def test_server_killed_mid_dispatch(self):
        self._check_killed_mid_dispatch()
