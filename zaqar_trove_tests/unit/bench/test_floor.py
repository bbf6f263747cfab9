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


"""The floor's pure parts: ratios, CPU per call."""

import testtools

from zaqar_trove_tests.bench import cli
from zaqar_trove_tests.bench import report


def _cell(transport, callers, calls_per_s, p50, cpu=None, calls=100,
          wall_s=10.0):
    return {'transport': transport, 'servers': 1, 'callers': callers,
            'calls': calls, 'wall_s': wall_s, 'calls_per_s': calls_per_s,
            'errors': 0, 'latency_ms': {'p50': p50, 'p90': p50,
                                        'p99': p50},
            'cpu': cpu or {}}


def _results():
    return {
        'floor': {
            'pingpong': [_cell('floor', 1, 50.0, 20.0),
                         _cell('floor', 8, 100.0, 70.0)],
            'pingpong_claim': [_cell('floor-claim', 1, 40.0, 25.0)],
            'pingpong_ws': [_cell('floor-ws', 1, 60.0, 22.0),
                            _cell('floor-ws', 8, 80.0, 60.0)]},
        'calls': [_cell('push', 1, 30.0, 40.0, cpu={'zaqar': 0.5}),
                  _cell('push', 32, 30.0, 40.0)],
        'casts': [
            {'transport': 'floor', 'sent': 100, 'received': 100,
             'received_per_s': 200.0, 'cpu': {'redis': 0.1, 'wall_s': 2}},
            {'transport': 'push', 'sent': 100, 'received': 50,
             'received_per_s': 50.0, 'cpu': {'wall_s': 2}}]}


class TestCompare(testtools.TestCase):

    def test_cpu_ms_per_call(self):
        # Half a core for 10 s over 100 calls: 50 ms a call.
        self.assertEqual({'zaqar': 50.0, 'redis': 10.0},
                         report.cpu_ms_per_call(
                             {'zaqar': 0.5, 'redis': 0.1, 'wall_s': 10.0},
                             10.0, 100))
        self.assertEqual({}, report.cpu_ms_per_call({'zaqar': 0.5}, 1, 0))

    def test_best_floor_per_callers(self):
        best = report.best_floors(_results()['floor'])
        self.assertEqual({'calls_per_s': 60.0, 'calls_of': 'floor-ws',
                          'p50': 20.0, 'p50_of': 'floor'}, best[1])
        self.assertEqual({'calls_per_s': 100.0, 'calls_of': 'floor',
                          'p50': 60.0, 'p50_of': 'floor-ws'}, best[8])

    def test_compare_adds_ratios_and_cpu(self):
        results = _results()
        report.compare(results)
        one, thirty_two = results['calls']
        self.assertEqual(0.5, one['vs_floor']['calls_per_s_ratio'])
        self.assertEqual(2.0, one['vs_floor']['p50_ratio'])
        self.assertEqual({'zaqar': 50.0}, one['cpu_ms_per_call'])
        self.assertIsNone(thirty_two['vs_floor'])
        floor = results['floor']['pingpong'][0]
        self.assertEqual({}, floor['cpu_ms_per_call'])
        floor_cast, push_cast = results['casts']
        self.assertEqual(1.0, floor_cast['received_vs_floor'])
        self.assertEqual(0.25, push_cast['received_vs_floor'])
        self.assertEqual(2.0, floor_cast['cpu_ms_per_cast']['redis'])

    def test_markdown_shows_the_new_columns(self):
        results = _results()
        for cast in results['casts']:
            cast.update(senders=8, sent_per_s=100.0, send_errors=0)
        report.compare(results)
        text = report.markdown(results)
        self.assertIn('floor call, websocket posts', text)
        self.assertIn('| 2.00x | 0.50x |', text)
        self.assertIn('Zaqar API 50.00', text)
        self.assertIn('| 0.25x |', text)


class TestZaqarOps(testtools.TestCase):

    def _results(self):
        results = _results()
        results['floor']['pingpong'][0]['ops'] = {
            'http': {'POST messages': 200}, 'websocket': {'push': 200,
                                                          'webhook': 200}}
        results['calls'][0]['ops'] = {
            'http': {'POST messages': 100, 'GET messages': 1},
            'websocket': {'message_post': 100}}
        results['casts'][0]['ops'] = {'http': {'POST messages': 100},
                                      'websocket': {}}
        for cast in results['casts']:
            cast.update(senders=8, sent_per_s=100.0, send_errors=0)
        return results

    def test_compare_divides_by_calls_and_casts(self):
        results = self._results()
        report.compare(results)
        floor = results['floor']['pingpong']
        self.assertEqual({'http': {'POST messages': 2.0},
                          'websocket': {'push': 2.0, 'webhook': 2.0},
                          'total': {'http': 2.0, 'websocket': 4.0}},
                         floor[0]['zaqar_ops'])
        self.assertIsNone(floor[1]['zaqar_ops'])
        self.assertEqual({'http': 1.01, 'websocket': 1.0},
                         results['calls'][0]['zaqar_ops']['total'])
        self.assertEqual({'POST messages': 1.0},
                         results['casts'][0]['zaqar_ops']['http'])
        self.assertIsNone(results['casts'][1]['zaqar_ops'])

    def test_markdown_table(self):
        results = self._results()
        report.compare(results)
        text = report.markdown(results)
        self.assertIn('## Zaqar operations per call', text)
        self.assertIn('| floor | 1 | 1 | 2.00 | POST messages 2.00 | 4.00 | '
                      'push 2.00, webhook 2.00 |', text)
        self.assertIn('| push | 1 | 1 | 1.01 | POST messages 1.00, '
                      'GET messages 0.01 | 1.00 | message_post 1.00 |', text)
        self.assertIn('| floor-cast (per cast) | 1 | 8 | 1.00 | '
                      'POST messages 1.00 | 0.00 | - |', text)

    def test_no_table_without_counts(self):
        results = _results()
        results.pop('casts')
        report.compare(results)
        self.assertNotIn('operations per call', report.markdown(results))


class TestFloorsOption(testtools.TestCase):

    def test_all_floors_by_default(self):
        self.assertEqual(list(cli.FLOORS), cli.parser().parse_args(
            []).floors)

    def test_unknown_floor_is_refused(self):
        self.assertRaises(SystemExit, cli.main, ['--floors', 'floor-x'])
