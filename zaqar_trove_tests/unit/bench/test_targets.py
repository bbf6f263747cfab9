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

"""The benchmark's targets, its report, ``--check`` and ``--render``."""

import json
import os
import shutil
import tempfile

import testtools

from zaqar_trove_tests.bench import cli
from zaqar_trove_tests.bench import report
from zaqar_trove_tests.bench import targets


def _cell(p50, rate, callers=1, transport=None, servers=1, cpu=0.8,
          p99=None):
    """A call cell: ``cpu`` is the Zaqar services' share of a core."""
    cell = {'callers': callers, 'servers': servers, 'calls': rate * 10,
            'wall_s': 10.0, 'errors': 0, 'calls_per_s': rate,
            'samples_ms': [p50] * 3,
            'latency_ms': {'p50': p50, 'p90': p50, 'p99': p99 or 2 * p50},
            'cpu': {'zaqar': cpu / 2, 'zaqar-websocket': cpu / 4,
                    'redis': cpu / 4, 'keystone': 0.3, 'rabbitmq': 0.01}}
    if transport:
        cell['transport'] = transport
    return cell


def _cast(transport, received_per_s, lost=0):
    return {'transport': transport, 'sent': 100, 'sent_per_s': 50.0,
            'received': 100 - lost, 'received_per_s': received_per_s,
            'lost': lost, 'send_errors': 0, 'senders': 8}


def _variant(name, transport, callers, gain):
    return {'variant': name, 'transport': transport, 'callers': callers,
            'calls_per_s': 100.0 * gain, 'p50_ms': 10.0,
            'zaqar_cpu_ms_per_call': 10.0 / gain, 'cores': 2,
            'capacity_per_s': 200.0 * gain,
            'vs_stock': {'calls_per_s': gain, 'capacity_per_s': gain}}


def _idle(delivery, guests, cpu, p50):
    return {'delivery': delivery, 'guests': guests, 'requests_per_s': 1.0,
            'requests_per_guest_s': 1.0 / guests, 'start_s': 1.0,
            'rss_per_guest': 2048.0, 'call_ms': {'p50': p50},
            'cpu': {'zaqar': cpu, 'zaqar-websocket': 0.0, 'redis': 0.0,
                    'zaqar_redis': cpu, 'wall_s': 30.0}}


def results(push_p50=30.0, push_rate_8=105.0, idle_cpu=0.04,
            idle_p50=45.0):
    """A run that meets every target.

    floor-ws is the cheapest floor at 1 caller, the HTTP floor the best
    at 8 and 32.
    """
    return {
        'machine': {'cores': 2, 'load_1_5_15': [1.0, 2.0, 3.0]},
        'floor': {
            'primitives': {'post': {'p50': 5.0, 'p90': 6.0, 'p99': 7.0},
                           'post_push': {'p50': 12.0, 'p90': 14.0,
                                         'p99': 20.0}},
            'pingpong': [_cell(28.0, 40.0), _cell(60.0, 100.0, 8),
                         _cell(200.0, 110.0, 32)],
            'pingpong_ws': [_cell(27.0, 45.0), _cell(70.0, 90.0, 8),
                            _cell(250.0, 95.0, 32)],
            'pingpong_claim': [_cell(20.0, 35.0)]},
        'calls': [_cell(3.0, 300.0, 1, 'rabbit'),
                  _cell(20.0, 400.0, 8, 'rabbit'),
                  _cell(push_p50, 33.0, 1, 'push'),
                  _cell(80.0, push_rate_8, 8, 'push', cpu=0.9),
                  _cell(300.0, 115.0, 32, 'push'),
                  _cell(35.0, 30.0, 1, 'push', servers=2)],
        'casts': [_cast('floor', 100.0), _cast('rabbit', 300.0),
                  _cast('push', 95.0)],
        'variant': [_variant(name, transport, callers, gain)
                    for name, gains in (('stock', (1.0, 1.0)),
                                        ('a', (1.3, 1.2)),
                                        ('a+b', (1.6, 1.45)))
                    for callers in (1, 8, 32)
                    for transport, gain in zip(('floor', 'push'), gains)],
        'idle': {'baseline': {'zaqar_redis': 0.005, 'wall_s': 10.0},
                 'steps': [_idle('push', 1, 0.006, 30.0),
                           _idle('push', 1000, idle_cpu, idle_p50),
                           _idle('poll', 10, 0.2, 50.0)]},
        'suite': {'warm': {'wall_s': 150.0, 'summary': '3 passed',
                           'stack_up_s': 8.0, 'returncode': 0,
                           'command': 'run'}},
    }


def _parent(data, path):
    for key in path[:-1]:
        data = data[key]
    return data


def _drop(*path):
    """A change to ``results()`` deleting ``path`` (keys, list indexes)."""
    return lambda data: _parent(data, path).pop(path[-1])


def _set(value, *path):
    """A change to ``results()`` setting ``path`` to ``value``."""
    return lambda data: _parent(data, path).__setitem__(path[-1], value)


class TestTargets(testtools.TestCase):

    def judge(self, verdict, *changes):
        data = results()
        for change in changes:
            change(data)
        return verdict(data)

    def assertTarget(self, verdict, missed, unmeasured, *texts):
        """Met, missed after ``missed``, None after ``unmeasured``.

        Met as ``results()`` is, with each of ``texts`` in what it measured.
        """
        met = self.judge(verdict)
        self.assertTrue(met['ok'])
        for text in texts:
            self.assertIn(text, met['measured'])
        self.assertIs(False, self.judge(verdict, missed)['ok'])
        self.assertIsNone(self.judge(verdict, unmeasured)['ok'])

    def test_all_met(self):
        self.assertEqual([True] * 10,
                         [v['ok'] for v in targets.judge(results())])

    def test_unmeasured_is_none(self):
        self.assertEqual([None] * 10,
                         [v['ok'] for v in targets.judge({})])

    def test_call_latency_to_the_cheapest_floor(self):
        self.assertTarget(
            targets.call_latency,
            _set(32.0, 'calls', 2, 'latency_ms', 'p50'), _drop('floor'),
            'the cheapest floor (floor-ws) 27.0 ms = 1.11x',
            'RabbitMQ 3.0 ms: 0.11x')

    def test_a_floor_that_failed_is_not_the_cheapest(self):
        verdict = self.judge(targets.call_latency, _set(
            0.0, 'floor', 'pingpong_ws', 0, 'calls_per_s'))
        self.assertIn('(floor) 28.0 ms', verdict['measured'])

    def test_throughput_to_the_best_floor_at_8_and_32(self):
        self.assertTarget(
            targets.throughput, _set(105.0, 'calls', 4, 'calls_per_s'),
            _drop('calls', 4),
            '8 callers: push 105 calls/s / floor 100 calls/s = 1.05x '
            '(RabbitMQ 400 calls/s: 4.00x')

    def test_throughput_takes_the_best_floor_of_either_path(self):
        verdict = self.judge(targets.throughput, _set(
            120.0, 'floor', 'pingpong_ws', 1, 'calls_per_s'))
        self.assertFalse(verdict['ok'])
        self.assertIn('floor-ws 120 calls/s', verdict['measured'])

    def test_scaling_and_tail(self):
        self.assertTarget(
            targets.scaling, _set(100.0, 'calls', 4, 'calls_per_s'),
            _drop('calls', 4), 'RabbitMQ: not measured; 2.00x')
        self.assertFalse(self.judge(targets.scaling, _set(
            240.0, 'calls', 3, 'latency_ms', 'p99'))['ok'])

    def test_casts(self):
        self.assertTarget(
            targets.casts, _set(85.0, 'casts', 2, 'received_per_s'),
            _drop('casts', 0), 'RabbitMQ 300 received/s: 3.00x')
        self.assertFalse(self.judge(targets.casts,
                                    _set(1, 'casts', 2, 'lost'))['ok'])

    def test_zaqar_cpu_at_8_callers(self):
        # 0.9 of a core at 105 calls/s against the floor's 0.8 at 100.
        self.assertTarget(
            targets.zaqar_cpu, _set(1.0, 'calls', 3, 'cpu', 'zaqar'),
            _drop('calls', 3, 'cpu'),
            '8 callers: push 8.57 ms / floor 8.00 ms = 1.07x',
            '1 caller: push 24.24 ms / floor-ws 17.78 ms', '(RabbitMQ 0.03 ms')

    def test_the_best_variant_and_push_with_it(self):
        self.assertTarget(
            targets.zaqar_variant,
            _set({'capacity_per_s': 1.3}, 'variant', 15, 'vs_stock'),
            _drop('variant'),
            'a+b, capacity vs stock: 1 caller: floor 1.60x, push 1.45x;')
        self.assertFalse(self.judge(targets.zaqar_variant, _set(
            {'capacity_per_s': 1.4}, 'variant', 14, 'vs_stock'))['ok'])

    def test_misses(self):
        verdicts = targets.judge(results(push_p50=40.0, push_rate_8=50.0,
                                         idle_cpu=0.08, idle_p50=60.0))
        self.assertEqual([False, False, True, True, False, True, False,
                          False, True, True], [v['ok'] for v in verdicts])

    def test_idle_below_1000_guests_is_not_judged(self):
        data = results()
        data['idle']['steps'] = [_idle('push', 1, 0.01, 30.0),
                                 _idle('push', 100, 0.01, 30.0)]
        self.assertIsNone(targets.idle_cpu(data)['ok'])
        self.assertIsNone(targets.idle_latency(data)['ok'])

    def test_idle_latency_without_the_machine_load(self):
        data = results(idle_p50=60.0)
        first, top = data['idle']['steps'][:2]
        first.update(floor_ms={'p50': 20.0}, call_vs_floor=1.5)
        top.update(floor_ms={'p50': 40.0}, call_vs_floor=1.5)
        verdict = targets.idle_latency(data)
        self.assertTrue(verdict['ok'])
        self.assertIn('2.00x', verdict['measured'])
        self.assertIn('1.00x once the machine', verdict['measured'])


class TestReport(testtools.TestCase):

    def test_markdown_has_every_section(self):
        data = results()
        data['targets'] = targets.judge(data)
        data['tuning'] = [{'step': '1', 'change': 'x', 'before': 'a',
                           'after': 'b'}]
        text = report.markdown(data)
        for title in ('## Targets', '## The floor', '## call()',
                      '## cast()', '## Idle guests', '## The suite',
                      '## Tuning steps'):
            self.assertIn(title, text)
        self.assertIn('| push | 1 | 1 | 30.0 |', text)
        self.assertIn('24.0 ms', text)  # 2 x post->push p50

    def test_markdown_of_an_empty_run(self):
        self.assertIn('# zaqar:// benchmark', report.markdown({}))

    def test_json_round_trip(self):
        self.assertEqual(2, json.loads(report.to_json(results()))[
            'machine']['cores'])


class TestCheck(testtools.TestCase):

    def check(self, data):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        path = os.path.join(directory, 'run.json')
        with open(path, 'w') as f:
            json.dump(data, f)
        lines = []
        return cli.check(path, echo=lines.append), lines

    def test_met_targets_pass(self):
        status, lines = self.check(results())
        self.assertEqual(0, status)
        self.assertEqual(10, len([line for line in lines
                                  if ' met: ' in line]))

    def test_a_missed_target_fails(self):
        status, lines = self.check(results(push_p50=40.0))
        self.assertEqual(1, status)
        self.assertIn('MISSED', lines[0])

    def test_what_a_run_did_not_measure_is_no_miss(self):
        status, lines = self.check({})
        self.assertEqual(0, status)
        self.assertTrue(all(' -: ' in line for line in lines))

    def test_the_command_line(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        path = os.path.join(directory, 'run.json')
        with open(path, 'w') as f:
            json.dump(results(idle_cpu=0.08), f)
        self.assertEqual(1, cli.main(['--check', path]))


class TestRender(testtools.TestCase):

    def test_render_writes_markdown_and_png(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        path = os.path.join(directory, 'run.json')
        with open(path, 'w') as f:
            json.dump(results(), f)
        self.assertEqual(0, cli.render(path, echo=lambda line: None))
        with open(os.path.join(directory, 'run.md')) as f:
            self.assertIn('## Tuning steps', f.read())
        with open(os.path.join(directory, 'run.png'), 'rb') as f:
            self.assertEqual(b'\x89PNG', f.read(4))
