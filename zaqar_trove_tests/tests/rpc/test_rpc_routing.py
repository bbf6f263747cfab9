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


"""RPC-5 and RPC-6: which servers a request reaches.

RPC-5 a call to a topic is executed by exactly one of its servers, a call
to ``topic.server`` by that server, and a fanout cast by every server
once. RPC-6 ``[zaqar_trove] rpc_casts`` casts (1,000 by default) spread
over the servers of a topic: each is delivered exactly once.

Each class runs three servers of one topic on one transport; every test
sends values of its own.
"""

from oslo_messaging import Target
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.rpc import base

CONF = config.CONF

SERVERS = ('s0', 's1', 's2')
TOPIC_CALLS = 30
SENDER_THREADS = 4
#: Seconds given to a wrong extra delivery to show up.
DUPLICATE_WINDOW = 3


class RoutingContract(base.RpcTest):

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.topic_name = cls.topic('routing')
        transport = cls.class_fixture(harness.Transport(
            cls.transport_url())).transport
        cls.endpoints = {name: rpc_endpoints.Recorder(name)
                         for name in SERVERS}
        for name, endpoint in cls.endpoints.items():
            cls.class_fixture(harness.Server(transport, Target(
                topic=cls.topic_name, server=name), [endpoint]))
        cls.rpc_client = cls.client(transport, cls.topic_name, timeout=30)

    def executed(self, method, values):
        """``{server: [value, ...]}`` of ``values`` each server executed."""
        return {name: [v for v in endpoint.values(method) if v in values]
                for name, endpoint in self.endpoints.items()}

    def _check_topic(self):
        values = [data_utils.rand_name('topic-call') for _ in
                  range(TOPIC_CALLS)]
        answers = [self.rpc_client.call({}, 'echo', value=v)
                   for v in values]
        executed = self.executed('echo', set(values))
        self.assertEqual(values, [a['value'] for a in answers])
        for answer in answers:
            self.assertEqual([answer['value']], [
                v for v in executed[answer['server']]
                if v == answer['value']])
        self.assertEqual(sorted(values),
                         sorted(v for vs in executed.values() for v in vs))

    def _check_server(self):
        for name in SERVERS:
            value = data_utils.rand_name('to-' + name)
            answers = [self.rpc_client.prepare(server=name).call(
                {}, 'echo', value=value) for _ in range(3)]
            self.assertEqual([name] * 3, [a['server'] for a in answers])
            self.assertEqual({n: [value] * 3 if n == name else []
                              for n in SERVERS},
                             self.executed('echo', {value}))

    def _check_fanout(self):
        value = data_utils.rand_name('fanout')
        self.rpc_client.prepare(fanout=True).cast({}, 'note', value=value)
        waiters.wait_until(
            lambda: all(self.executed('note', {value}).values()), 30,
            what='the fanout cast on every server')
        harness.never(lambda: any(len(vs) > 1 for vs in self.executed(
            'note', {value}).values()), DUPLICATE_WINDOW,
            'a fanout cast delivered twice to one server')
        self.assertEqual({name: [value] for name in SERVERS},
                         self.executed('note', {value}))

    def _check_casts(self):
        count = CONF.zaqar_trove.rpc_casts
        tag = data_utils.rand_name('cast')
        values = ['%s-%d' % (tag, n) for n in range(count)]

        def send(first):
            for value in values[first::SENDER_THREADS]:
                self.rpc_client.cast({}, 'note', value=value)

        harness.run_concurrently(send, [(t,) for t in range(SENDER_THREADS)],
                                 SENDER_THREADS)
        expected = set(values)

        def delivered():
            return [v for vs in self.executed('note', expected).values()
                    for v in vs]

        waiters.wait_until(lambda: len(delivered()) >= count,
                           60 + count / 10.0, interval=0.5,
                           what='%d casts delivered' % count)
        harness.never(lambda: len(delivered()) > count, DUPLICATE_WINDOW,
                      'a cast delivered twice')
        self.assertEqual(sorted(values), sorted(delivered()))
        busy = [name for name, vs in self.executed('note', expected).items()
                if vs]
        self.assertGreater(len(busy), 1, 'one server took every cast')


class RoutingZaqarTest(base.ZaqarMixin, RoutingContract):

    @decorators.idempotent_id('1e530b4b-0842-4eeb-b165-9b00fdc04c2d')
    def test_topic_call_reaches_one_server(self):
        self._check_topic()

    @decorators.idempotent_id('2ec88c42-1365-4908-b06f-82091dd4fc1a')
    def test_server_call_reaches_that_server(self):
        self._check_server()

    @decorators.idempotent_id('2a7da273-57f1-4e74-b56b-9c2d7ec45198')
    def test_fanout_reaches_each_server_once(self):
        self._check_fanout()

    @decorators.idempotent_id('20f09d8e-9a66-4650-89f2-23446fda3f69')
    def test_casts_each_delivered_once(self):
        self._check_casts()


class RoutingZaqarPollTest(base.ZaqarPollMixin, RoutingContract):
    """RPC-5 with polling; RPC-6's thousand casts run on push only."""

    @decorators.idempotent_id('10337f83-088a-4cec-b8f5-41166a18ff18')
    def test_topic_call_reaches_one_server(self):
        self._check_topic()

    @decorators.idempotent_id('5b917b05-2392-4dd0-a5ba-2c868ef11113')
    def test_server_call_reaches_that_server(self):
        self._check_server()

    @decorators.idempotent_id('c3293533-306c-49e2-8ce7-3920f5828111')
    def test_fanout_reaches_each_server_once(self):
        self._check_fanout()


class RoutingRabbitTest(base.RabbitMixin, RoutingContract):

    @decorators.idempotent_id('e66267fc-93aa-4d47-af6d-27c97fa08123')
    def test_topic_call_reaches_one_server(self):
        self._check_topic()

    @decorators.idempotent_id('2c781fa0-2f73-4a32-ae3e-5137dcc76f4c')
    def test_server_call_reaches_that_server(self):
        self._check_server()

    @decorators.idempotent_id('0cc4d13f-3f8c-4076-8fb7-77c1bf715502')
    def test_fanout_reaches_each_server_once(self):
        self._check_fanout()

    @decorators.idempotent_id('3e2699ae-b54b-45c8-8973-daed0e738144')
    def test_casts_each_delivered_once(self):
        self._check_casts()
