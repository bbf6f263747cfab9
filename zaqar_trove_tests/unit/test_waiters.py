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

"""The generic waiter."""

import itertools

from tempest.lib import exceptions
import testtools

from zaqar_trove_tests.common import waiters


class TestWaitUntil(testtools.TestCase):

    def test_returns_the_first_truthy_value(self):
        values = iter([None, 0, [], 'ready'])
        self.assertEqual('ready', waiters.wait_until(
            lambda: next(values), timeout=5, interval=0))

    def test_times_out_naming_caller_what_and_last_value(self):
        counter = itertools.count()

        def never():
            next(counter)
            return 0

        def wait_for_the_moon():
            waiters.wait_until(never, timeout=0.05, interval=0.01,
                               what='the moon')

        error = self.assertRaises(exceptions.TimeoutException,
                                  wait_for_the_moon)
        self.assertIn('wait_for_the_moon', str(error))
        self.assertIn('the moon', str(error))
        self.assertIn('last value: 0', str(error))
        self.assertGreater(next(counter), 1)

    def test_checks_once_more_at_the_deadline(self):
        calls = []

        def second_call_succeeds():
            calls.append(1)
            return len(calls) == 2

        self.assertTrue(waiters.wait_until(
            second_call_succeeds, timeout=0.01, interval=1))
