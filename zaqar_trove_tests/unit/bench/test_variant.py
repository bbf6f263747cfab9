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

"""The variant stage's arithmetic: settings, per-call CPU, capacity, gains."""

import testtools

from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import variant
from zaqar_trove_tests.stack import variants


def cell(transport, callers, calls, wall, zaqar_share, samples):
    """An ``rpcbench.interleaved`` cell; Zaqar's share split over two."""
    return {'transport': transport, 'callers': callers, 'calls': calls,
            'errors': 0, 'wall_s': wall, 'samples_ms': list(samples),
            'cpu': {'zaqar': zaqar_share * 0.75, 'redis': zaqar_share * 0.25,
                    'callers': 5.0}}


class TestSettings(testtools.TestCase):

    def test_stock_each_alone_then_all(self):
        chosen = variant.settings()
        self.assertEqual((), chosen[0])
        self.assertEqual(tuple(sorted(variants.VARIANTS)), chosen[-1])
        self.assertEqual(len(variants.VARIANTS) + 2, len(chosen))
        self.assertEqual('stock', variant.label(()))
        self.assertEqual('a+b', variant.label(('a', 'b')))


class TestArithmetic(testtools.TestCase):

    def test_zaqar_cpu_ms_per_call_counts_only_zaqar_services(self):
        # 1.0 core for 2 s over 400 calls: 5 ms a call.
        row, = rpcbench.merge_cells([cell('floor', 8, 400, 2.0, 1.0, [1])],
                                    ('transport',))
        self.assertAlmostEqual(5.0, variant.zaqar_cpu_ms(row))

    def test_rounds_merge_and_capacity_on_two_cores(self):
        rows = variant.summarize(('x',), [
            cell('floor', 8, 400, 2.0, 1.0, [3, 1, 2]),
            cell('floor', 8, 200, 2.0, 0.5, [4]),
            cell('push', 8, 100, 2.0, 1.0, [9])])
        by = {r['transport']: r for r in rows}
        floor = by['floor']
        self.assertEqual(('x', 600, 4.0), (floor['variant'], floor['calls'],
                                           floor['wall_s']))
        self.assertAlmostEqual(150.0, floor['calls_per_s'])
        self.assertEqual(3, floor['p50_ms'])
        self.assertAlmostEqual(5.0, floor['zaqar_cpu_ms_per_call'])
        self.assertAlmostEqual(400.0, floor['capacity_per_s'])
        self.assertAlmostEqual(20.0, by['push']['zaqar_cpu_ms_per_call'])

    def test_gains_against_stock_same_transport_and_callers(self):
        rows = variant.gains(
            variant.summarize((), [cell('floor', 8, 400, 2.0, 1.0, [1]),
                                   cell('floor', 1, 100, 2.0, 1.0, [1])]) +
            variant.summarize(('x',), [cell('floor', 8, 600, 2.0, 1.0, [1])]))
        faster = [r for r in rows if r['variant'] == 'x'][0]
        self.assertAlmostEqual(1.5, faster['vs_stock']['calls_per_s'])
        self.assertAlmostEqual(1.5, faster['vs_stock']['capacity_per_s'])
        stock = [r for r in rows if r['variant'] == 'stock']
        self.assertEqual([1.0, 1.0], [r['vs_stock']['calls_per_s']
                                      for r in stock])


class TestReport(testtools.TestCase):

    def test_markdown_table_of_rows_against_stock(self):
        from zaqar_trove_tests.bench import report
        rows = variant.gains(
            variant.summarize((), [cell('floor', 8, 400, 2.0, 1.0, [7])]) +
            variant.summarize(('x',), [cell('floor', 8, 600, 2.0, 1.0, [5])]))
        text = '\n'.join(report._variant({'variant': rows}))
        self.assertIn('what 2 cores of Zaqar', text)
        self.assertIn('| x | floor | 8 | 300 | 5.0 | 3.33 | 600 | 1.50x | '
                      '1.50x |', text)
        self.assertEqual([], report._variant({}))
