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


def _cell(p50, rate, callers=1, transport=None, servers=1):
    cell = {'callers': callers, 'servers': servers, 'calls': 10,
            'errors': 0, 'calls_per_s': rate, 'samples_ms': [p50] * 3,
            'latency_ms': {'p50': p50, 'p90': p50, 'p99': p50},
            'cpu': {'zaqar': 0.5, 'zaqar-websocket': 0.1, 'redis': 0.01}}
    if transport:
        cell['transport'] = transport
    return cell


def _idle(delivery, guests, cpu, p50):
    return {'delivery': delivery, 'guests': guests, 'requests_per_s': 1.0,
            'requests_per_guest_s': 1.0 / guests, 'start_s': 1.0,
            'rss_per_guest': 2048.0, 'call_ms': {'p50': p50},
            'cpu': {'zaqar': cpu, 'zaqar-websocket': 0.0, 'redis': 0.0,
                    'zaqar_redis': cpu, 'wall_s': 30.0}}


def results(push_p50=30.0, push_rate_8=90.0, idle_cpu=0.04,
            idle_p50=45.0):
    return {
        'machine': {'cores': 2, 'load_1_5_15': [1.0, 2.0, 3.0]},
        'floor': {
            'primitives': {'post': {'p50': 5.0, 'p90': 6.0, 'p99': 7.0},
                           'post_push': {'p50': 12.0, 'p90': 14.0,
                                         'p99': 20.0}},
            'pingpong': [_cell(25.0, 40.0), _cell(60.0, 100.0, 8),
                         _cell(200.0, 110.0, 32)],
            'pingpong_claim': [_cell(28.0, 35.0)]},
        'calls': [_cell(3.0, 300.0, 1, 'rabbit'),
                  _cell(push_p50, 33.0, 1, 'push'),
                  _cell(80.0, push_rate_8, 8, 'push'),
                  _cell(300.0, 100.0, 32, 'push'),
                  _cell(35.0, 30.0, 1, 'push', servers=2)],
        'casts': [{'transport': 'push', 'sent': 100, 'sent_per_s': 50.0,
                   'received': 100, 'received_per_s': 40.0,
                   'send_errors': 0, 'senders': 8}],
        'idle': {'baseline': {'zaqar_redis': 0.005, 'wall_s': 10.0},
                 'steps': [_idle('push', 1, 0.006, 30.0),
                           _idle('push', 1000, idle_cpu, idle_p50),
                           _idle('poll', 10, 0.2, 50.0)]},
        'suite': {'warm': {'wall_s': 150.0, 'summary': '3 passed',
                           'stack_up_s': 8.0, 'returncode': 0,
                           'command': 'run'}},
    }


class TestTargets(testtools.TestCase):

    def _ok(self, verdicts):
        return {v['name']: v['ok'] for v in verdicts}

    def test_all_met(self):
        verdicts = targets.judge(results())
        self.assertEqual([True] * 6, [v['ok'] for v in verdicts])
        self.assertIn('1.20x', verdicts[0]['measured'])

    def test_misses(self):
        verdicts = targets.judge(results(push_p50=40.0, push_rate_8=50.0,
                                         idle_cpu=0.08, idle_p50=60.0))
        self.assertEqual([False, False, False, False, True, True],
                         [v['ok'] for v in verdicts])

    def test_unmeasured_is_none(self):
        verdicts = targets.judge({})
        self.assertEqual([None, None, None, None, None, None],
                         [v['ok'] for v in verdicts])

    def test_idle_below_1000_guests_is_not_judged(self):
        data = results()
        data['idle']['steps'] = [_idle('push', 1, 0.01, 30.0),
                                 _idle('push', 100, 0.01, 30.0)]
        verdicts = targets.judge(data)
        self.assertIsNone(verdicts[2]['ok'])
        self.assertIsNone(verdicts[3]['ok'])

    def test_idle_latency_without_the_machine_load(self):
        data = results(idle_p50=60.0)
        first, top = data['idle']['steps'][:2]
        first.update(floor_ms={'p50': 20.0}, call_vs_floor=1.5)
        top.update(floor_ms={'p50': 40.0}, call_vs_floor=1.5)
        verdict = targets.idle_latency(data)
        self.assertTrue(verdict['ok'])
        self.assertIn('2.00x', verdict['measured'])
        self.assertIn('1.00x once the machine', verdict['measured'])

    def test_throughput_must_grow_with_callers(self):
        data = results()
        data['calls'][1]['calls_per_s'] = 200.0
        self.assertFalse(targets.throughput(data)['ok'])


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
        self.assertEqual(6, len([line for line in lines if ' met: ' in line]))

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
