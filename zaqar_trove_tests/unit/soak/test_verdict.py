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

"""The soak's verdicts and its markdown, on made-up samples."""

import testtools

from zaqar_trove_tests.soak import report
from zaqar_trove_tests.soak import verdict

FIELDS = ('redis_memory', 'queues', 'driver_rss', 'driver_threads',
          'driver_fds')


def _sample(t_s, **values):
    doc = dict.fromkeys(FIELDS, 100)
    doc.update(t_s=t_s, calls=10, calls_failed=0, call_p50_ms=20.0,
               call_p99_ms=40.0, redis_keys=5, guests=3)
    doc.update(values)
    return doc


def _calls(run_s, ms_before, ms_after):
    return [{'end_s': t, 'ms': ms_before if t < run_s / 2 else ms_after,
             'ok': True} for t in range(1, int(run_s))]


def _by_name(verdicts):
    return {v['name']: v for v in verdicts}


class TestTrends(testtools.TestCase):

    def test_window_is_ten_minutes_or_a_third(self):
        self.assertEqual(600, verdict.window(3600))
        self.assertEqual(60, verdict.window(180))

    def test_flat_run_meets_every_trend(self):
        samples = [_sample(t) for t in range(60, 3660, 60)]
        verdicts = verdict.trends(samples, _calls(3600, 20, 20), 3600)
        self.assertEqual(set(verdict.TRENDS), {v['name'] for v in verdicts})
        self.assertTrue(all(v['ok'] for v in verdicts), verdicts)

    def test_growth_past_a_limit_is_missed(self):
        samples = [_sample(t, queues=100 if t <= 600 else 106,
                           driver_fds=100 if t <= 600 else 105)
                   for t in range(60, 3660, 60)]
        verdicts = _by_name(verdict.trends(samples, _calls(3600, 20, 23.1),
                                           3600))
        self.assertFalse(verdicts['Zaqar queues']['ok'])
        self.assertAlmostEqual(1.06, verdicts['Zaqar queues']['ratio'])
        self.assertTrue(verdicts['driver fds']['ok'])   # 1.05: the limit
        self.assertFalse(verdicts['call p50']['ok'])
        self.assertTrue(verdicts['Redis memory']['ok'])

    def test_only_the_windows_count(self):
        samples = [_sample(t, redis_memory=100 if t in (60, 3600) else 999)
                   for t in range(60, 3660, 60)]
        samples = [s for s in samples if s['t_s'] in (60, 1800, 3600)]
        verdicts = _by_name(verdict.trends(samples, _calls(3600, 20, 20),
                                           3600))
        self.assertEqual(1.0, verdicts['Redis memory']['ratio'])

    def test_the_warm_up_is_not_judged(self):
        samples = [_sample(t, driver_threads=50 if t <= 300 else 100)
                   for t in range(60, 3960, 60)]
        verdicts = _by_name(verdict.trends(samples, _calls(3900, 20, 20),
                                           3900, warmup_s=300))
        self.assertEqual(1.0, verdicts['driver threads']['ratio'])
        verdicts = _by_name(verdict.trends(samples, _calls(3900, 20, 20),
                                           3900))
        self.assertFalse(verdicts['driver threads']['ok'])

    def test_a_window_without_data_is_missed(self):
        verdicts = _by_name(verdict.trends([_sample(3600)], [], 3600))
        self.assertIsNone(verdicts['Redis memory']['ratio'])
        self.assertFalse(verdicts['Redis memory']['ok'])
        self.assertFalse(verdicts['call p50']['ok'])


class TestAccounting(testtools.TestCase):

    def _summary(self, lost=0):
        return {'sent': 10, 'acked': 10, 'refused': {}, 'lost': lost,
                'duplicated': 0, 'refused_but_executed': 0}

    def test_clean_books(self):
        outcomes = {'ok': 9, 'MessagingTimeout': 1}
        verdicts = verdict.accounting(self._summary(), outcomes, {}, [])
        self.assertEqual([True, True, True, True, None],
                         [v['ok'] for v in verdicts])
        self.assertEqual(1, verdicts[-1]['measured'])

    def test_each_breach_is_missed(self):
        verdicts = _by_name(verdict.accounting(
            self._summary(lost=2), {'ok': 1, 'wrong': 1}, {'k1': 2}, ['x']))
        for name in ('acknowledged casts lost', 'requests run twice',
                     'requests run, never sent', 'calls answered wrongly'):
            self.assertFalse(verdicts[name]['ok'], name)
        self.assertEqual(2, verdicts['acknowledged casts lost']['measured'])


class TestMarkdown(testtools.TestCase):

    def test_names_verdicts_and_samples(self):
        samples = [_sample(t) for t in (60, 120, 180)]
        result = {
            'config': {'minutes': 3, 'warmup': 1, 'guests': 3, 'callers': 1,
                       'call_period': 1.0, 'churn': 1},
            'machine': {'time': 'now', 'cores': 2}, 'ok': False,
            'accounting': verdict.accounting(
                {'lost': 1}, {'ok': 3}, {}, []),
            'requests': {'sent': 3}, 'window_s': 60, 'samples': samples,
            'trends': verdict.trends(samples, _calls(180, 20, 20), 180)}
        text = report.markdown(result)
        self.assertIn('Verdict: **MISSED**', text)
        self.assertIn('| acknowledged casts lost | 1 | MISSED |', text)
        self.assertIn('| call p50 | 20.00 | 20.00 | 1.000 | <= 1.15 | met |',
                      text)
        self.assertEqual(3, text.count('| 20.0 | 40.0 |'))
