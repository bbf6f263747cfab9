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

"""The load driver: every call once, errors counted, callers concurrent."""

import threading

import testtools

from zaqar_trove_tests.bench import load


class TestLoad(testtools.TestCase):

    def test_each_number_once_and_errors_counted(self):
        seen = []
        lock = threading.Lock()

        def call(i):
            with lock:
                seen.append(i)
            if i % 10 == 0:
                raise KeyError(i)

        result = load.run(call, 4, duration=30, max_calls=100)
        self.assertEqual(list(range(100)), sorted(seen))
        self.assertEqual(10, result['errors'])
        self.assertEqual({'KeyError': 10}, result['error_types'])
        self.assertEqual(90, result['calls'])
        self.assertEqual(90, len(result['samples_ms']))
        self.assertEqual(90, result['latency_ms']['n'])
        self.assertEqual(4, result['callers'])
        self.assertGreater(result['calls_per_s'], 0)

    def test_callers_run_concurrently(self):
        barrier = threading.Barrier(3, timeout=10)

        def call(i):
            barrier.wait()

        result = load.run(call, 3, duration=30, max_calls=3)
        self.assertEqual(3, result['calls'])
        self.assertEqual(0, result['errors'])

    def test_sequential(self):
        calls = []
        out = load.sequential(calls.append, 5)
        self.assertEqual([0, 1, 2, 3, 4], calls)
        self.assertEqual(5, len(out))

    def test_merge(self):
        first = load.run(lambda i: None, 1, duration=30, max_calls=3)
        second = load.run(lambda i: None, 1, duration=30, max_calls=2)
        second['error_types'] = {'KeyError': 1}
        merged = load.merge([first, second])
        self.assertEqual(5, merged['calls'])
        self.assertEqual(5, merged['latency_ms']['n'])
        self.assertEqual(1, merged['errors'])
        self.assertAlmostEqual(first['wall_s'] + second['wall_s'],
                               merged['wall_s'])
