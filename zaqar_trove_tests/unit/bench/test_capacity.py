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

"""The capacity model's arithmetic, on hand-made runs."""

import json
import os

import fixtures
import testtools

from zaqar_trove_tests.bench import capacity
from zaqar_trove_tests.bench import cli


def _call(transport, servers, callers, calls_per_s, cpu):
    return {'transport': transport, 'servers': servers, 'callers': callers,
            'calls_per_s': calls_per_s, 'cpu': cpu}


#: push: 10 calls/s at 0.5 of a core of Zaqar = 50 ms per call; 100
#: casts in 10 s at 0.2 of a core = 20 ms per cast; 100 idle guests
#: 0.3 of a core above a 0.1 baseline = 2 ms per guest, plus 0.1 of
#: projected rare events = 1 ms per guest.
RUN = {
    'calls': [
        _call('push', 1, 8, 1.0, {'zaqar': 0.9}),
        _call('push', 1, 1, 10.0, {'zaqar': 0.5, 'redis': 0.1}),
        _call('push', 2, 1, 20.0, {'zaqar': 0.9}),
        _call('rabbit', 1, 1, 100.0, {'rabbitmq': 0.2, 'servers': 0.5}),
    ],
    'casts': [
        {'transport': 'push', 'received': 100,
         'cpu': {'zaqar': 0.2, 'servers': 0.05, 'wall_s': 10.0}},
        {'transport': 'rabbit', 'received': 0,
         'cpu': {'rabbitmq': 0.2, 'wall_s': 1.0}},
    ],
    'idle': {
        'baseline': {'zaqar': 0.1, 'redis': 0.0},
        'steps': [
            {'delivery': 'push', 'guests': 10,
             'cpu': {'zaqar': 5.0, 'zaqar_redis': 5.0}},
            {'delivery': 'push', 'guests': 100,
             'cpu': {'zaqar': 0.3, 'redis': 0.0, 'zaqar_redis': 0.3},
             'projected': {'zaqar_redis': 0.4}},
        ],
    },
}


class TestUnitCosts(testtools.TestCase):

    def test_call_cost_uses_one_server_one_caller(self):
        cost = capacity.call_cost(RUN, 'push')
        self.assertAlmostEqual(0.05, cost['zaqar'])
        self.assertAlmostEqual(0.01, cost['redis'])

    def test_cast_cost_is_cpu_time_per_cast_received(self):
        cost = capacity.cast_cost(RUN, 'push')
        self.assertAlmostEqual(0.02, cost['zaqar'])
        self.assertAlmostEqual(0.005, cost['servers'])
        self.assertNotIn('wall_s', cost)

    def test_nothing_received_is_not_measured(self):
        self.assertIsNone(capacity.cast_cost(RUN, 'rabbit'))

    def test_idle_cost_largest_step_less_baseline_plus_rare_events(self):
        cost = capacity.idle_cost(RUN, 'push')
        self.assertAlmostEqual(0.003, cost['zaqar'])
        self.assertAlmostEqual(0.0, cost['redis'])

    def test_missing_figures_are_none(self):
        self.assertIsNone(capacity.idle_cost(RUN, 'rabbit'))
        self.assertIsNone(capacity.idle_cost(RUN, 'poll'))
        self.assertIsNone(capacity.call_cost({}, 'push'))


class TestCores(testtools.TestCase):

    def test_load(self):
        self.patch(capacity, 'HEARTBEAT_INTERVAL_S', 30.0)
        self.patch(capacity, 'CALLS_PER_GUEST_HOUR', 36.0)
        self.patch(capacity, 'CONDUCTORS', 10)
        self.assertEqual({'casts_per_s': 100.0, 'calls_per_s': 30.0,
                          'listeners': 3010}, capacity.load(3000))

    def test_cores_add_the_parts(self):
        demand = {'calls_per_s': 2.0, 'casts_per_s': 10.0,
                  'listeners': 100}
        total, missing = capacity.cores(capacity.costs(RUN, 'push'),
                                        'zaqar', demand)
        # 2 * 0.05 + 10 * 0.02 + 100 * 0.003
        self.assertAlmostEqual(0.6, total)
        self.assertEqual([], missing)

    def test_cores_name_the_missing_parts(self):
        demand = {'calls_per_s': 1.0, 'casts_per_s': 1.0, 'listeners': 1}
        total, missing = capacity.cores(capacity.costs(RUN, 'rabbit'),
                                        'rabbitmq', demand)
        self.assertAlmostEqual(0.002, total)
        self.assertEqual(['cast', 'idle'], missing)

    def test_cores_only_the_parts_asked(self):
        demand = {'calls_per_s': 1.0, 'casts_per_s': 10.0, 'listeners': 1}
        total, missing = capacity.cores(capacity.costs(RUN, 'push'),
                                        'servers', demand, ('cast',))
        self.assertAlmostEqual(0.05, total)
        self.assertEqual([], missing)

    def test_nothing_measured(self):
        empty = {'call': None, 'cast': None, 'idle': None}
        self.assertEqual((None, ['call', 'cast', 'idle']),
                         capacity.cores(empty, 'zaqar', capacity.load(1)))

    def test_processes_round_up(self):
        self.assertEqual(1, capacity.processes(0.0))
        self.assertEqual(1, capacity.processes(1.0))
        self.assertEqual(2, capacity.processes(1.01))


class TestPage(testtools.TestCase):

    def test_figures(self):
        self.assertEqual('2 (1.50 cores)', capacity._figure(1.5, [], True))
        self.assertEqual('0.25 + idle not measured',
                         capacity._figure(0.25, ['idle'], False))
        self.assertEqual('not measured',
                         capacity._figure(None, ['call'], True))

    def test_table_columns_fit(self):
        lines = capacity._table(['a', 'bb'], [['ccc', 'd']])
        self.assertEqual(['===  ==', 'a    bb', '===  ==', 'ccc  d',
                          '===  =='], lines)

    def test_cli_writes_the_page(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        run, out = os.path.join(tmp, 'run.json'), os.path.join(tmp, 'c.rst')
        with open(run, 'w') as f:
            json.dump(RUN, f)
        self.assertEqual(0, cli.main(['--capacity', run, '--out', out]))
        with open(out) as f:
            page = f.read()
        self.assertIn('Zaqar API processes', page)
        self.assertIn('idle not measured', page)
