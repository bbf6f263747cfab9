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
import types

import fixtures
import oslo_messaging as om
import testtools

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import incoming
from zaqar_trove_tests.rpc import reply as zreply
from zaqar_trove_tests.unit.rpc import fakes


class WaiterTestCase(testtools.TestCase):

    def waiter(self, client=None, push=None, **query):
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.clock = fakes.Clock()
        self.client = client or fakes.Client()
        self.client._clock = self.clock
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

    def call(self, waiter, monitor=None):
        """A call the waiter waits for: its request envelope."""
        request = fakes.call(1, monitor=monitor)
        waiter.listen(request['mid'], request['rk'], monitor)
        return request


class _NotAllowed(Exception):
    """An exception of a module callers do not allow."""


class _Ticking(fakes.Clock):
    """Each reading moves the time ``step`` s on (a very slow machine)."""

    step = 0.0

    def __call__(self):
        now = super().__call__()
        self.advance(self.step)
        return now


def _forged(request):
    return envelope.reply(dict(request, rk=envelope.new_id()), 'forged')


class TestWhatIsDelivered(WaiterTestCase):
    """Which bodies read from the reply queue reach their caller."""

    # name, bodies(request), call ended first, delivered?, result, beats,
    # what the log says
    TABLE = [
        ('its reply', lambda r: [envelope.reply(r, 'r')], False, [True],
         'r', 0, ''),
        ('a heartbeat', lambda r: [envelope.heartbeat(r)], False, [True],
         None, 1, ''),
        ('heartbeats, then the reply',
         lambda r: [envelope.heartbeat(r), envelope.heartbeat(r),
                    envelope.reply(r, 'r')], False, [True] * 3, 'r', 2,
         ''),
        ('a reply with the wrong key (forged)', lambda r: [_forged(r)],
         False, [False], None, 0, 'wrong reply key'),
        ('a reply to a call nobody waits for',
         lambda r: [envelope.reply(fakes.call(2), 'r')], False, [False],
         None, 0, 'nobody waits for it'),
        ('a reply to a call that ended', lambda r: [envelope.reply(r)],
         True, [False], None, 0, 'nobody waits for it'),
        ('not an envelope', lambda r: ['hello'], False, [False], None, 0,
         'malformed or foreign'),
        ('a request on the reply queue', lambda r: [r], False, [False],
         None, 0, 'malformed or foreign'),
        ('a reply without its key',
         lambda r: [{k: v for k, v in envelope.reply(r).items()
                     if k != 'rk'}], False, [False], None, 0, 'missing rk'),
        ('the same reply twice (a replay)',
         lambda r: [envelope.reply(r, 'r')] * 2, False, [True, False],
         'r', 0, ''),
        ('a second reply: the first one counts',
         lambda r: [envelope.reply(r, 'a'), envelope.reply(r, 'b')], False,
         [True, True], 'a', 0, ''),
    ]

    def test_table(self):
        for name, bodies, ended, delivered, result, beats, logged in \
                self.TABLE:
            waiter = self.waiter()
            request = self.call(waiter)
            call = waiter._call(request['mid'])
            if ended:
                waiter.unlisten(request['mid'])
            self.assertEqual(delivered, [waiter._deliver(b)
                                         for b in bodies(request)], name)
            self.assertEqual((result, beats), (
                call.reply and call.reply['res'], call.beats), name)
            self.assertIn(logged, self.log.output, name)

    def test_a_pushed_reply_reaches_its_caller_without_a_read(self):
        push = fakes.Push()
        waiter = self.waiter(push=push)
        request = self.call(waiter)
        push.push(waiter.queue, envelope.reply(request, 'r'))
        self.assertEqual('r', waiter.wait(request['mid'], self.clock() + 1))
        self.assertEqual(0, self.client.count('claim'))

    def test_what_a_read_finds_is_delivered_and_deleted_dropped_or_not(self):
        waiter = self.waiter()
        request = self.call(waiter)
        page = [fakes.message(envelope.reply(request, n))
                for n in range(zreply.PAGE)]
        rest = [fakes.message('junk'), fakes.message(envelope.heartbeat(
            request)), 'not a message']
        self.client.script(None, page, rest)
        # Every reply counts (the caller keeps the first), the junk not.
        self.assertEqual(zreply.PAGE + 1, waiter._drain())
        self.assertEqual(2, self.client.count('claim'))
        self.assertEqual([[m['id'] for m in page],
                          [m['id'] for m in rest[:2]]],
                         [r[2] for r in self.client.made('delete')])
        self.assertEqual(0, waiter.wait(request['mid'], self.clock() + 1))


class TestWait(WaiterTestCase):
    """What ``wait`` returns or raises."""

    def test_the_result(self):
        waiter = self.waiter()
        request = self.call(waiter)
        waiter._deliver(envelope.reply(request, {'nested': ['ü']}))
        self.assertEqual({'nested': ['ü']},
                         waiter.wait(request['mid'], self.clock() + 1))

    def _failure(self, exc):
        """The caller's wait once the server's endpoint raised ``exc``."""
        waiter = self.waiter()
        request = self.call(waiter)
        server = types.SimpleNamespace(driver=self.driver)
        incoming.RpcIncoming(server, request).reply(
            failure=(type(exc), exc, None))
        [(_, body, _, _)] = self.driver.replies
        waiter._deliver(body)
        return waiter.wait, request['mid'], self.clock() + 1

    def test_an_exception_of_an_allowed_module_keeps_its_type(self):
        error = self.assertRaises(fakes.RemoteFault,
                                  *self._failure(fakes.RemoteFault('no')))
        self.assertIn('no', str(error))

    def test_other_exceptions_are_remote_errors(self):
        error = self.assertRaises(om.RemoteError,
                                  *self._failure(_NotAllowed('k')))
        self.assertEqual('_NotAllowed', error.exc_type)

    def test_a_deadline_passed_is_a_timeout(self):
        waiter = self.waiter()
        request = self.call(waiter)
        error = self.assertRaises(om.MessagingTimeout, waiter.wait,
                                  request['mid'], self.clock())
        self.assertIn('timed out', str(error))

    def test_no_heartbeat_within_call_monitor_timeout_ends_the_wait(self):
        clock = _Ticking()
        self.clock = clock
        waiter = zreply.ReplyWaiter(fakes.Driver(), clock=clock,
                                    thread=False)
        request = self.call(waiter, monitor=2)
        clock.step = 3
        error = self.assertRaises(om.MessagingTimeout, waiter.wait,
                                  request['mid'], clock.now + 60)
        self.assertIn('no heartbeat from the server for 2s', str(error))


class TestTurns(WaiterTestCase):
    """When the waiter thread reads the reply queue."""

    def test_without_push_it_sleeps_until_a_call_comes(self):
        waiter = self.waiter()
        self.assertIsNone(waiter._wait_time())
        self.call(waiter)
        self.assertIs(zreply._KICK, self.turn(waiter)[1])
        self.assertEqual(0, self.client.count('claim'))

    def test_while_a_call_waits_pauses_grow_to_poll_max_interval(self):
        waiter = self.waiter()
        self.call(waiter)
        self.turn(waiter)       # the kick
        waits = [self.turn(waiter)[0] for _ in range(220)]
        # poll_min_interval for poll_hot_window after the call began...
        hot = next(n for n, w in enumerate(waits) if w != 0.005)
        self.assertTrue(200 <= hot <= 202, hot)
        # ... then 1.5 times longer each time, up to poll_max_interval.
        expected, pause = [], 0.005
        for _ in waits[hot:]:
            pause = min(pause * 1.5, 1.0)
            expected.append(pause)
        self.assertEqual(expected, waits[hot:])
        self.assertEqual(1.0, waits[-1])
        self.assertEqual(len(waits), self.client.count('claim'))

    def test_heartbeats_of_a_monitored_call_are_read_in_time(self):
        waiter = self.waiter()
        self.call(waiter, monitor=2)
        self.turn(waiter)
        waits = [self.turn(waiter)[0] for _ in range(240)]
        self.assertEqual(0.5, max(waits))
        self.assertEqual(0.5, waits[-1])

    def test_with_push_it_drains_now_and_then(self):
        push = fakes.Push()
        waiter = self.waiter(push=push)
        self.assertEqual(600.0, waiter._wait_time())
        request = self.call(waiter)
        self.turn(waiter)
        self.assertEqual(1.0, waiter._wait_time())
        push.push(waiter.queue, envelope.heartbeat(request))
        self.assertEqual((1.0, zreply._PUSHED), self.turn(waiter))
        # Pushed replies are deleted soon, not at each push.
        self.assertEqual(0, self.client.count('claim'))
        self.assertEqual((zreply._DRAIN_DELAY, None), self.turn(waiter))
        self.assertEqual(1, self.client.count('claim'))

    def test_a_push_burst_is_drained_every_second(self):
        push = fakes.Push()
        waiter = self.waiter(push=push)
        request = self.call(waiter)
        self.turn(waiter)
        began = self.clock()
        for n in range(12):
            push.push(waiter.queue, envelope.heartbeat(request))
            self.turn(waiter)
            self.clock.advance(0.25)
        self.assertEqual([1.0, 2.25],
                         [t - began for t in self.client.times('claim')])

    def test_a_restarted_subscription_drains_at_once(self):
        push = fakes.Push()
        waiter = self.waiter(push=push)
        push.push(waiter.queue, None)
        self.assertEqual((600.0, None), self.turn(waiter))
        self.assertEqual(1, self.client.count('claim'))

    def test_stop(self):
        waiter = self.waiter()
        waiter.stop()
        self.assertFalse(waiter._step(waiter._inbox.get_nowait()))
        self.assertEqual(1, self.client.count('delete_queue', waiter.queue))


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

    def test_an_unexpected_error_backs_off_as_well(self):
        client = fakes.Client().script(None, *[TypeError('bug')] * 3)
        waiter = self.waiter(client, retry_interval=0.2,
                             max_retry_interval=10)
        self.call(waiter)
        self.turn(waiter)
        self.turn(waiter)
        waits = [self.turn(waiter)[0] for _ in range(2)]
        self.assertTrue(0.15 <= waits[0] <= 0.25, waits)
        self.assertTrue(0.3 <= waits[1] <= 0.5, waits)
        self.assertEqual(3, self.log.output.count('Unexpected error'))

    def test_a_read_that_works_starts_the_backoff_again(self):
        away = errors.Unreachable('away')
        client = fakes.Client().script(None, away, away, [], away)
        waiter = self.waiter(client)
        self.call(waiter)
        self.turn(waiter)
        waits = [self.turn(waiter)[0] for _ in range(5)]
        self.assertEqual(0.005, waits[3])        # the poll pause again
        self.assertTrue(0.15 <= waits[4] <= 0.25, waits)

    def test_a_monitored_call_caps_the_pause(self):
        client = fakes.Client().script(
            None, *[errors.Unreachable('away')] * 8)
        waiter = self.waiter(client, max_retry_interval=10)
        self.call(waiter, monitor=1)
        self.turn(waiter)
        waits = [self.turn(waiter)[0] for _ in range(9)]
        self.assertEqual(0.25, max(waits))

    def test_without_a_call_nothing_is_retried_until_one_comes(self):
        client = fakes.Client().script(None, errors.Unreachable('away'))
        waiter = self.waiter(client)
        request = self.call(waiter)
        self.turn(waiter)
        self.turn(waiter)
        waiter.unlisten(request['mid'])
        self.assertIsNone(waiter._wait_time())
