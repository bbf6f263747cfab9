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

"""Percentiles, summaries, rates, thinning and CDFs of the benchmark."""

import testtools

from zaqar_trove_tests.bench import stats


class TestStats(testtools.TestCase):

    def test_percentile_nearest_rank(self):
        values = list(range(1, 101))
        self.assertEqual(50, stats.percentile(values, 0.5))
        self.assertEqual(90, stats.percentile(values, 0.9))
        self.assertEqual(99, stats.percentile(values, 0.99))
        self.assertEqual(1, stats.percentile(values, 0.0))
        self.assertEqual(100, stats.percentile(values, 1.0))
        self.assertEqual(7, stats.percentile([7], 0.99))
        self.assertIsNone(stats.percentile([], 0.5))

    def test_summary(self):
        got = stats.summary([3.0, 1.0, 2.0, 4.0])
        self.assertEqual({'n': 4, 'p50': 2.0, 'p90': 4.0, 'p99': 4.0,
                          'mean': 2.5, 'min': 1.0, 'max': 4.0}, got)
        self.assertEqual(0, stats.summary([])['n'])
        self.assertIsNone(stats.summary([])['p50'])

    def test_rate_and_ratio(self):
        self.assertEqual(5.0, stats.rate(10, 2.0))
        self.assertEqual(0.0, stats.rate(10, 0))
        self.assertEqual(2.0, stats.ratio(4.0, 2.0))
        self.assertIsNone(stats.ratio(None, 2.0))
        self.assertIsNone(stats.ratio(4.0, 0))

    def test_thin_keeps_spread_and_bound(self):
        values = list(range(10000))
        thinned = stats.thin(values, 100)
        self.assertEqual(100, len(thinned))
        self.assertEqual(0, thinned[0])
        self.assertGreater(thinned[-1], 9800)
        self.assertEqual([1, 2], stats.thin([1, 2], 100))

    def test_cdf(self):
        xs, ys = stats.cdf([5, 1, 3, 2, 4], points=10)
        self.assertEqual(sorted(xs), xs)
        self.assertEqual(5, xs[-1])
        self.assertEqual(1.0, ys[-1])
        self.assertEqual(([], []), stats.cdf([]))
