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

"""The reply waiter's decisions, with a scripted client (no service).

A ``ReplyWaiter`` built without its thread is driven turn by turn
(``_turn``: the item the thread would get, or the end of its wait on a
fake clock), so every verdict is exact.
"""

import logging
import queue

import fixtures
import testtools

from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import reply as zreply
from zaqar_trove_tests.unit.rpc import fakes


class WaiterTestCase(testtools.TestCase):

    def waiter(self, client=None, push=None, **query):
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.clock = fakes.Clock()
        self.client = client or fakes.Client()
        self.driver = fakes.Driver(self.client, push, **query)
        waiter = zreply.ReplyWaiter(self.driver, clock=self.clock,
                                    thread=False)
        return waiter

    def turn(self, waiter):
        """One turn of the waiter thread: (its wait, the item it got)."""
        wait = waiter._wait_time()
        try:
            item = waiter._inbox.get_nowait()
        except queue.Empty:
            item = None
            self.clock.sleep(wait)
        self.assertTrue(waiter._step(item))
        return wait, item


class TestFailures(WaiterTestCase):
    """A reply queue that cannot be read is retried with backoff."""

    def test_zaqar_away_is_retried_with_backoff_not_at_poll_speed(self):
        client = fakes.Client().script(
            None, *[errors.Unreachable('away')] * 4)
        waiter = self.waiter(client, retry_interval=0.2,
                             max_retry_interval=10)
        waiter.listen('m' * 32, 'k' * 32)
        self.turn(waiter)           # the call's kick: poll hot
        waits = [self.turn(waiter)[0] for _ in range(5)]
        # The first read comes at poll speed; each failed one is followed
        # by a pause of the backoff: 0.2 s doubling (+-25 %), but never
        # longer than poll_max_interval while a call waits.
        self.assertEqual(0.005, waits[0])
        for n, wait in enumerate(waits[1:]):
            nominal = 0.2 * 2 ** n
            self.assertTrue(min(0.75 * nominal, 1.0) <= wait <=
                            min(1.25 * nominal, 1.0), (n, waits))
        self.assertEqual(5, client.count('claim'))
