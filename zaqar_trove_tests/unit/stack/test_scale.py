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

"""Stack scale-out options: services, settings and the command line."""

import fixtures
import testtools

from zaqar_trove_tests.bench import opsmeter
from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import cli
from zaqar_trove_tests.stack import paths as stack_paths
from zaqar_trove_tests.stack import services
from zaqar_trove_tests.unit.stack import test_configs

PROGRAMS = {'epmd': '/bin/epmd', 'redis-server': '/bin/redis-server',
            'rabbitmq-server': '/bin/rabbitmq-server'}


class TestServices(testtools.TestCase):

    def test_one_spec_per_websocket_server(self):
        paths = stack_paths.Paths('/srv/state')
        specs = services.build(paths, test_configs.two_websockets(),
                               PROGRAMS)
        self.assertEqual(list(services.ORDER) + ['zaqar-websocket-2'],
                         list(specs))
        second = specs['zaqar-websocket-2']
        self.assertEqual({'websocket': 20009, 'notification': 20010},
                         second['ports'])
        self.assertEqual('zaqar-websocket-2', second['argv'][-1])
        self.assertEqual('/srv/state/etc/zaqar.conf:'
                         '/srv/state/etc/zaqar-websocket-2.conf',
                         second['env']['ZTT_ZAQAR_CONFIG'])
        self.assertEqual('/srv/state/logs/zaqar-websocket-2.log',
                         second['log'])
        self.assertEqual({'websocket': 20007, 'notification': 20008},
                         specs['zaqar-websocket']['ports'])

    def test_redis_servers_start_before_rabbitmq(self):
        specs = services.build(stack_paths.Paths('/srv/state'),
                               test_configs.two_pools(), PROGRAMS)
        self.assertEqual(['epmd', 'redis', 'redis-2', 'rabbitmq'],
                         list(specs)[:4])
        self.assertEqual(['/bin/redis-server',
                          '/srv/state/etc/redis-2.conf'],
                         specs['redis-2']['argv'])
        self.assertEqual({'redis': 20011}, specs['redis-2']['ports'])

    def test_gunicorn_workers_from_the_settings(self):
        s = test_configs.settings()
        s['zaqar_workers'] = 5
        argv = services.build(stack_paths.Paths('/srv/state'), s,
                              PROGRAMS)['zaqar']['argv']
        self.assertEqual('5', argv[argv.index('--workers') + 1])

    def test_ops_are_awaited_from_every_websocket_server(self):
        self.assertEqual(
            ['zaqar', 'zaqar-websocket', 'zaqar-websocket-2'],
            opsmeter.services(test_configs.two_websockets()))
        self.assertEqual(['zaqar', 'zaqar-websocket'],
                         opsmeter.services({}))


class TestSettings(testtools.TestCase):

    def settings(self, websockets=1, workers=None):
        return bringup._settings({}, (), websockets, workers)

    def test_ports_for_every_redis_server(self):
        s = bringup._settings({}, (), 1, None, 3)
        self.assertEqual(3, s['zaqar_pools'])
        self.assertIn('redis-3', s['ports'])

    def test_ports_for_every_websocket_server(self):
        s = self.settings(2)
        self.assertEqual(2, s['zaqar_websockets'])
        self.assertIn('zaqar_ws_2', s['ports'])
        self.assertIn('zaqar_notify_2', s['ports'])
        self.assertEqual(len(s['ports']), len(set(s['ports'].values())))

    def test_workers_option_else_env_else_three(self):
        self.useFixture(fixtures.EnvironmentVariable('ZTT_ZAQAR_WORKERS'))
        self.assertEqual(3, self.settings()['zaqar_workers'])
        self.useFixture(fixtures.EnvironmentVariable('ZTT_ZAQAR_WORKERS',
                                                     '6'))
        self.assertEqual(6, self.settings()['zaqar_workers'])
        self.assertEqual(2, self.settings(workers=2)['zaqar_workers'])


class TestCommandLine(testtools.TestCase):

    def parse(self, *argv):
        return cli._parser().parse_args(['stack', 'up'] + list(argv))

    def test_defaults(self):
        args = self.parse()
        self.assertEqual(1, args.zaqar_websockets)
        self.assertEqual(1, args.zaqar_pools)
        self.assertIsNone(args.zaqar_workers)

    def test_options(self):
        args = self.parse('--zaqar-websockets', '2', '--zaqar-workers', '4',
                          '--zaqar-pools', '2')
        self.assertEqual((2, 4, 2), (args.zaqar_websockets,
                                     args.zaqar_workers, args.zaqar_pools))

    def test_refuses_zero_and_words(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', None))
        for bad in ('0', '-1', 'two'):
            self.assertRaises(SystemExit, self.parse, '--zaqar-websockets',
                              bad)
