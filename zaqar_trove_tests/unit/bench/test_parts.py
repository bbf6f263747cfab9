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


import os
from urllib import parse

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
        total = 0
        for i in range(200000):
            total += i * i
        got = meter.stop()
        self.assertGreater(got['me'], 0.0)
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
