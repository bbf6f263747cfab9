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

"""Benchmark parts: transport URLs, suite and sweep, machine, idle guests."""

import os
import time
from unittest import mock
from urllib import parse

import fixtures
import testtools

from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import suite
from zaqar_trove_tests.bench import sweep
from zaqar_trove_tests.bench import target
from zaqar_trove_tests.bench import worker

SETTINGS = {'ports': {'zaqar': 1001, 'zaqar_ws': 1002, 'keystone': 1003,
                      'rabbit': 1004},
            'secrets': {'rpc_password': 'pw', 'rabbit_password': 'rp'}}


class TestTransportUrl(testtools.TestCase):

    def _query(self, url):
        return dict(parse.parse_qsl(parse.urlsplit(url).query))

    def test_rabbit(self):
        self.assertTrue(target.transport_url(SETTINGS, 'rabbit').startswith(
            'rabbit://'))

    def test_keystone(self):
        url = target.transport_url(SETTINGS, 'push', push_grace=0.5)
        self.assertTrue(url.startswith('zaqar://rpc:pw@127.0.0.1:1001/?'))
        query = self._query(url)
        self.assertEqual('push', query['delivery'])
        self.assertEqual('0.5', query['push_grace'])
        self.assertEqual('http://127.0.0.1:1003/v3', query['auth_url'])

    def test_token(self):
        url = target.transport_url(SETTINGS, 'poll', ('tok', 'proj'))
        self.assertTrue(url.startswith('zaqar://127.0.0.1:1001/?'))
        self.assertEqual({'auth': 'token', 'token': 'tok',
                          'project_id': 'proj', 'delivery': 'poll',
                          'websocket_url': 'ws://127.0.0.1:1002'},
                         self._query(url))


class TestSuiteAndSweep(testtools.TestCase):

    def test_parse(self):
        out = ('stack up in 7.5 s (warm start)\n...\n'
               'tempest: 120 passed, 2 failed, 9 skipped\n')
        self.assertEqual(('120 passed, 2 failed, 9 skipped', 7.5),
                         suite.parse(out))
        self.assertEqual(('no summary line', None), suite.parse(''))

    def test_command(self):
        cold = suite.command('/s', cold=True)
        self.assertEqual(['run', '--state-dir', '/s', '--no-cache',
                          '--exclude-regex', suite.EXCLUDE], cold[1:])
        self.assertNotIn('--no-cache', suite.command('/s', cold=False))

    def test_argv_with(self):
        argv = ['gunicorn', '--workers', '3', '--threads', '4', 'app']
        self.assertEqual(['gunicorn', '--workers', '2', '--threads', '8',
                          'app'], sweep._argv_with(argv, 2, 8))
        self.assertEqual('3', argv[2])


class TestMachine(testtools.TestCase):

    def test_describe(self):
        info = machine.describe()
        self.assertEqual(os.cpu_count(), info['cores'])
        self.assertEqual(3, len(info['load_1_5_15']))

    def test_cpu_meter_counts_this_process(self):
        meter = machine.CpuMeter({'me': lambda: [os.getpid()],
                                  'nobody': lambda: []}).start()
        # Work until /proc itself shows this process used CPU (its clock
        # ticks every 10 ms): a fixed amount of work may fit in one tick.
        start = machine.cpu_seconds([os.getpid()])
        deadline = time.monotonic() + 60
        total = 0
        while (machine.cpu_seconds([os.getpid()]) - start < 0.05 and
               time.monotonic() < deadline):
            for i in range(20000):
                total += i * i
        used = machine.cpu_seconds([os.getpid()]) - start
        got = meter.stop()
        self.assertGreaterEqual(used, 0.05, 'no CPU time seen in 60 s')
        self.assertGreaterEqual(got['me'] * got['wall_s'], used * 0.99)
        self.assertEqual(0.0, got['nobody'])
        self.assertGreater(got['wall_s'], 0.0)
        self.assertGreater(machine.rss_bytes([os.getpid()]), 0)
        self.assertEqual(0.0, machine.cpu_seconds([2 ** 22 + 12345]))


class TestCounter(testtools.TestCase):

    def test_wait_for(self):
        counter = worker.Counter()
        counter.add('a')
        counter.add('a', 2)
        got = counter.wait_for('a', 3, timeout=5)
        self.assertEqual(3, got['count'])
        self.assertEqual({'a': 3}, counter.snapshot())
        self.assertEqual(0, counter.wait_for('b', 1, timeout=0.01)['count'])


class TestIdleProjection(testtools.TestCase):

    def test_project(self):
        from zaqar_trove_tests.bench import idle
        prims = {'claim_empty': {'cpu_ms': {'zaqar': 5.0, 'redis': 1.0}},
                 'ws_connect': {'cpu_ms': {'zaqar-websocket': 20.0,
                                           'keystone': 50.0}},
                 'subscribe': {'cpu_ms': {'zaqar-websocket': 5.0}}}
        step = {'guests': 1000, 'cpu': {'zaqar_redis': 0.01}}
        got = idle.project(step, prims, {'push_safety_interval': 600.0,
                                         'fanout_ttl': 60,
                                         'push_subscription_ttl': 86400})
        # 2 empty claims (no fanout read: 600 > 60) of 6 ms every 600 s.
        self.assertAlmostEqual(1000 * 2 * 0.006 / 600, got['safety'])
        # An authentication (20 ms) once per token lifetime (3600 s).
        self.assertAlmostEqual(1000 * 0.02 / 3600, got['reauth'])
        # 20 + 6 x 5 + 3 x 6 ms every 12 h.
        self.assertAlmostEqual(1000 * 0.068 / 43200, got['reconnect'])
        self.assertAlmostEqual(1000 * 0.05 * (1 / 3600. + 1 / 43200.),
                               got['keystone'])
        self.assertAlmostEqual(0.01 + got['safety'] + got['reauth'] +
                               got['reconnect'], got['zaqar_redis'])

    def test_fanout_read_counted_when_the_interval_is_short(self):
        from zaqar_trove_tests.bench import idle
        prims = {'claim_empty': {'cpu_ms': {'zaqar': 6.0}}}
        got = idle.project({'guests': 10, 'cpu': {'zaqar_redis': 0.0}},
                           prims, {'push_safety_interval': 10.0,
                                   'fanout_ttl': 60,
                                   'push_subscription_ttl': 3600})
        self.assertAlmostEqual(10 * 3 * 0.006 / 10, got['safety'])

    def test_driver_defaults(self):
        from zaqar_trove_tests.bench import idle
        self.assertEqual({'push_safety_interval', 'fanout_ttl',
                          'push_subscription_ttl'},
                         set(idle.driver_defaults()))


class _System:

    def __init__(self, name, fail_every=0):
        self.transport = name
        self.servers = 1
        self.calls = []
        self.fail_every = fail_every

    def call(self, i):
        self.calls.append(i)
        if self.fail_every and len(self.calls) % self.fail_every == 0:
            raise ValueError()

    def pids(self):
        return [os.getpid()]


class _Target:

    def cpu_sources(self):
        return {'zaqar': lambda: []}


class TestInterleaved(testtools.TestCase):

    def test_cells_per_system_and_callers(self):
        from zaqar_trove_tests.bench import rpcbench
        a, b = _System('a'), _System('b', fail_every=2)
        cells = rpcbench.interleaved(_Target(), [a, b], [1, 2], 0.3,
                                     rounds=2, warmup=1, echo=lambda x: 0)
        self.assertEqual([('a', 1), ('b', 1), ('a', 2), ('b', 2)],
                         [(c['transport'], c['callers']) for c in cells])
        for cell in cells:
            self.assertGreater(cell['calls'], 0)
            self.assertEqual(cell['calls'], len(cell['samples_ms']))
            self.assertGreater(cell['wall_s'], 0.25)
            self.assertEqual({'zaqar', 'servers', 'callers'},
                             set(cell['cpu']))
        self.assertEqual(0, cells[0]['errors'])
        self.assertGreater(cells[1]['errors'], 0)
        self.assertEqual({'ValueError': cells[1]['errors']},
                         cells[1]['error_types'])

    def test_cells_count_zaqar_operations(self):
        from zaqar_trove_tests.bench import rpcbench
        from zaqar_trove_tests.stack import opcounter
        directory = self.useFixture(fixtures.TempDir()).path
        counter = opcounter.Counter('zaqar')
        counter.start(directory)
        self.addCleanup(counter.stop)

        class Posting(_System):
            def call(self, i):
                super().call(i)
                counter.count('POST messages')
                counter.count('POST messages')

        class Counted(_Target):
            stack = mock.Mock(**{'paths.zaqar_ops': directory})

            def pids(self, service):
                return [os.getpid()] if service == 'zaqar' else []

        said = []
        cells = rpcbench.interleaved(Counted(), [Posting('floor')], [1], 0.2,
                                     rounds=2, warmup=1, echo=said.append)
        calls = cells[0]['calls']
        self.assertEqual({'http': {'POST messages': 2 * calls}},
                         cells[0]['ops'])
        self.assertIn('Zaqar ops each: HTTP 2.00, websocket 0.00', said[0])
