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

"""The one helper of every retry loop: ``backoff.Backoff``."""

import testtools

from zaqar_trove_tests.rpc import backoff
from zaqar_trove_tests.unit.rpc import fakes


class TestBackoff(testtools.TestCase):

    def test_pauses_double_up_to_the_limit(self):
        pauses = backoff.Backoff(0.5, 3.0, jitter=0)
        self.assertEqual([0.5, 1.0, 2.0, 3.0, 3.0],
                         [pauses.next() for _ in range(5)])
        self.assertEqual(5, pauses.retries)

    def test_jitter_stays_within_its_fraction(self):
        for _ in range(200):
            pauses = backoff.Backoff(1.0, 8.0, jitter=0.5)
            for n in range(4):
                pause = pauses.next()
                self.assertTrue(0.5 * 2 ** n <= pause <= 1.5 * 2 ** n,
                                (n, pause))

    def test_attempts_bound_the_retries(self):
        pauses = backoff.Backoff(0.1, 1.0, attempts=2, jitter=0)
        self.assertEqual([0.1, 0.2, None, None],
                         [pauses.next() for _ in range(4)])
        self.assertEqual(2, pauses.retries)

    def test_no_pause_ends_at_or_after_the_deadline(self):
        clock = fakes.Clock(now=100.0)
        pauses = backoff.Backoff(1.0, 10.0, deadline=107.0, jitter=0,
                                 clock=clock)
        while True:
            pause = pauses.next()
            if pause is None:
                break
            clock.sleep(pause)
        # 1 + 2 = 3 s slept; 4 more would end at 107.
        self.assertEqual([1.0, 2.0], clock.pauses)
        self.assertEqual(103.0, clock())

    def test_a_deadline_already_passed_allows_no_retry(self):
        clock = fakes.Clock(now=100.0)
        pauses = backoff.Backoff(0.1, 1.0, deadline=99.0, clock=clock)
        self.assertIsNone(pauses.next())
        self.assertEqual(0, pauses.retries)
