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


"""The listener's decisions, with a scripted client (no service).

When it reads which queue and how much, how it waits, what it does when
reads fail, and what it hands over of what it read. Time is a fake clock
(``fakes.Clock``) that only the listener's waits move, so every verdict
is exact and nothing really waits.
"""

import logging

import fixtures
import testtools

from zaqar_trove_tests.rpc import dedupe
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.unit.rpc import fakes

#: The queues of an RPC server: its own, its topic's, its fanout queue.
SERVER = (('srv', 'pop'), ('topic', 'claim'), ('fan', 'observe'))


class _StoredAt:
    """A script step: ``message``, once, from ``at`` on (else nothing)."""

    def __init__(self, clock, at, message):
        self.clock, self.at, self.message = clock, at, message

    def __call__(self):
        if self.message is None or self.clock() < self.at:
            return []
        message, self.message = self.message, None
        return [message]


class ListenerTestCase(testtools.TestCase):

    def listener(self, sources=SERVER, push=True, notifications=False,
                 start=True, ws=False, **query):
        """``ws``: requests on the websocket go to ``self.ws`` (scripted)."""
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.clock = fakes.Clock()
        self.client = fakes.Client(self.clock)
        self.ws = fakes.Client(self.clock) if ws else None
        self.push = fakes.Push(ws=self.ws) if push else None
        self.driver = fakes.Driver(self.client, self.push, **query)
        self.sources = {queue: zlistener.Source(queue, mode)
                        for queue, mode in sources}
        listener = zlistener.ZaqarListener(
            self.driver, list(self.sources.values()), notifications,
            clock=self.clock, wait=self.clock.sleep)
        if start:
            listener.start(self.push)
        return listener

    def assertOrphanReads(self, expiries, reads):
        """One read after each expiry, within its spread."""
        self.assertEqual(len(expiries), len(reads), reads)
        for expiry, read in zip(sorted(expiries), reads):
            self.assertTrue(
                expiry + 1 <= read <= expiry + 1 + zlistener.ORPHAN_SPREAD,
                (expiries, reads))

    def reads(self, queue=None):
        """The (fake) times ``queue`` was read at."""
        return sorted(self.client.times('claim', queue) +
                      self.client.times('list', queue) +
                      self.client.times('pop', queue))


class TestWhatAReadTakes(testtools.TestCase):
    """``_batch``: how many messages one read of a queue takes."""

    # mode, ids pending, last page full, oslo wants -> read
    TABLE = [
        ('observe', 0, False, 1, zlistener.PAGE),
        ('claim', 5, True, 10, 1),      # competing consumers: one
        ('pop', 0, False, 1, 1),
        ('pop', 0, False, 7, 7),        # what oslo asks for
        ('pop', 3, False, 1, 3),        # what pushes announced
        ('pop', 50, False, 1, zlistener.PAGE),
        ('pop', 0, True, 1, zlistener.PAGE),    # the page was full
    ]

    def test_table(self):
        for mode, pending, more, wanted, expected in self.TABLE:
            source = zlistener.Source('q', mode)
            source.pending = {str(n) for n in range(pending)}
            source.more = more
            self.assertEqual(expected,
                             zlistener.ZaqarListener._batch(source, wanted),
                             (mode, pending, more, wanted))


def _announced(listener, source, now):
    source.pending, source.hint_at = {'x'}, now


class TestWhichQueuesAreDue(ListenerTestCase):
    """``_due``: the queues one turn reads, by situation."""

    def _idle(self, listener, now):
        """No full read due; every queue read a moment ago."""
        listener._next_full = now + 100
        for source in self.sources.values():
            source.read_at = now - 0.1

    # name, push, settings, situation(listener, sources, now) -> due
    TABLE = [
        ('poll: every queue but a fanout queue read recently', False, {},
         lambda t, ls, ss, now: None, ['srv', 'topic']),
        ('poll: a fanout queue is read every poll_max_interval', False, {},
         lambda t, ls, ss, now: setattr(ss['fan'], 'read_at', now - 1),
         ['srv', 'topic', 'fan']),
        ('push, idle: nothing', True, {},
         lambda t, ls, ss, now: None, []),
        ('push: the safety read, not of a fanout queue whose messages '
         'expire sooner', True, {},
         lambda t, ls, ss, now: setattr(ls, '_next_full', now),
         ['srv', 'topic']),
        ('push: the safety read, of the fanout queue as well when it '
         'comes before its messages expire', True,
         {'push_safety_interval': 30},
         lambda t, ls, ss, now: setattr(ls, '_next_full', now),
         ['srv', 'topic', 'fan']),
        ('push: a queue a push named', True, {},
         lambda t, ls, ss, now: _announced(ls, ss['topic'], now),
         ['topic']),
        ('push: a queue asked to catch up', True, {},
         lambda t, ls, ss, now: setattr(ss['srv'], 'catch_up', True),
         ['srv']),
        ('push: a queue whose last read filled its page', True, {},
         lambda t, ls, ss, now: setattr(ss['srv'], 'more', True),
         ['srv']),
        ('push: an announcement past push_grace, read since, is '
         'forgotten', True, {},
         lambda t, ls, ss, now: _announced(ls, ss['topic'], now - 2),
         []),
        ('push: an announcement past push_grace but not read since (reads '
         'fail) is kept', True, {},
         lambda t, ls, ss, now: (_announced(ls, ss['topic'], now - 2),
                                 setattr(ss['topic'], 'read_at', now - 3)),
         ['topic']),
        ('push: claims whose answer was lost came back', True, {},
         lambda t, ls, ss, now: setattr(ls, '_extra_reads', [now]),
         ['srv', 'topic']),
        ('push: requests wait for the answers of the other servers', True,
         {}, lambda t, ls, ss, now: ls._dupes.hold(
             envelope.retried(fakes.cast(1)), 'item', now),
         ['fan']),
        ('push unhealthy: polled as without push', True, {},
         lambda t, ls, ss, now: setattr(t.push, 'healthy', False),
         ['srv', 'topic']),
    ]

    def test_table(self):
        for name, push, query, situation, expected in self.TABLE:
            listener = self.listener(push=push, **query)
            now = self.clock()
            self._idle(listener, now)
            situation(self, listener, self.sources, now)
            self.assertEqual(expected,
                             [s.queue for s in listener._due(now)], name)

    def test_a_forgotten_announcement_is_dropped(self):
        listener = self.listener()
        now = self.clock()
        self._idle(listener, now)
        _announced(listener, self.sources['topic'], now - 2)
        listener._due(now)
        self.assertEqual(set(), self.sources['topic'].pending)
        # Its store may be late: every queue is read once more.
        self.assertEqual([now + zlistener.LATE_STORE_READ],
                         listener._extra_reads)


class TestPollingPauses(ListenerTestCase):
    """How long an idle listener waits between reads."""

    def test_without_push_pauses_double_up_to_poll_max_interval(self):
        listener = self.listener(sources=[('q', 'claim')], push=False)
        self.assertEqual([], listener.poll(timeout=10))
        self.assertEqual([0.005 * 2 ** n for n in range(8)] + [1.0] * 3,
                         self.clock.pauses[:11])

    def test_a_message_keeps_polling_fast_for_poll_hot_window(self):
        # claim_yield=0: no fair-dispatch pause after the message
        # (test_fair_dispatch).
        listener = self.listener(sources=[('q', 'claim')], push=False,
                                 claim_yield=0)
        self.client.script('q', *[[]] * 9 + [[fakes.message(
            fakes.cast(1))]])
        self.assertEqual([1], fakes.values(listener.poll(timeout=10)))
        found_at = self.clock()
        self.assertEqual([], listener.poll(timeout=3))
        hot = [t for t in self.reads('q') if found_at < t <= found_at + 1]
        # Every poll_min_interval within the hot window, then slower.
        self.assertTrue(199 <= len(hot) <= 201, len(hot))
        later = [t for t in self.reads('q') if t > found_at + 1]
        self.assertEqual([0.005 * 2 ** n for n in range(len(later) - 1)],
                         [round(b - a, 9) for a, b in zip(later, later[1:])])

    def test_in_a_burst_the_other_queues_are_read_less_often(self):
        # 20 messages on 'a', one a claim, read on at once; 'b' is read
        # every BURST_OTHERS_EVERY meanwhile, not after each message.
        listener = self.listener(sources=[('a', 'claim'), ('b', 'claim')],
                                 push=False, claim_yield=0)
        self.client.script('a', *[[fakes.message(fakes.cast(n))]
                                  for n in range(20)])
        self.client.delay = 0.01        # each request takes 10 ms
        self.assertEqual(list(range(20)), fakes.values(listener.poll(
            timeout=100, batch_size=20, batch_timeout=10)))
        burst = self.reads('a')
        self.assertEqual(20, len(burst))
        during = [t for t in self.reads('b') if t <= burst[-1]]
        # The first read, then about one in ten of a's (0.1 s / 10 ms).
        self.assertTrue(2 <= len(during) <= 4, (burst, during))

    def test_with_push_an_idle_listener_reads_only_at_its_safety_reads(self):
        listener = self.listener(sources=[('q', 'claim')])
        self.assertEqual([], listener.poll(timeout=3000))
        reads = self.reads('q')
        gaps = [b - a for a, b in zip(reads, reads[1:])]
        self.assertTrue(3 <= len(gaps) <= 6, reads)
        for gap in gaps:
            # push_safety_interval, +-25 %: guests do not read in step.
            self.assertTrue(450 <= gap <= 750, gaps)


class TestPushes(ListenerTestCase):
    """When pushes make the listener read."""

    def test_an_announced_message_is_read_at_once_and_only_once(self):
        listener = self.listener(sources=[('q', 'claim')])
        listener.poll(timeout=1)    # the first (full) read
        first = fakes.message(fakes.cast(1))
        self.client.script('q', [first])
        self.clock.at(self.clock() + 5,
                      lambda: self.push.push('q', first['body']))
        self.assertEqual([1], fakes.values(listener.poll(timeout=100)))
        self.assertEqual(self.clock(), self.reads('q')[-1])
        self.assertEqual(2, len(self.reads('q')))
        self.assertEqual([], listener.poll(timeout=100))
        self.assertEqual(2, len(self.reads('q')))

    def test_an_announced_message_not_found_is_read_again_for_the_grace(self):
        # Zaqar pushes before it stores; a competing consumer may also
        # have taken it.
        listener = self.listener(sources=[('q', 'claim')])
        listener.poll(timeout=1)
        pushed_at = self.clock()
        self.push.push('q', fakes.cast(1))
        self.assertEqual([], listener.poll(timeout=100))
        reads = [t - pushed_at for t in self.reads('q')[1:]]
        # Pauses tripling from poll_min_interval, within push_grace; the
        # announcement is forgotten at the first wake after the grace
        # (1.82 s), and read once more LATE_STORE_READ after.
        self.assertEqual([0.0, 0.005, 0.02, 0.065, 0.2, 0.605,
                          1.82 + zlistener.LATE_STORE_READ],
                         [round(t, 9) for t in reads])
        self.assertEqual(set(), self.sources['q'].pending)

    def test_a_message_stored_after_the_grace_is_read_soon_after(self):
        # A stalled store: without the late read, the message would wait
        # for the safety read (push_safety_interval, 600 s).
        for mode in ('pop', 'claim'):
            listener = self.listener(sources=[('q', mode)])
            listener.poll(timeout=1)
            pushed_at = self.clock()
            body = fakes.cast(1)
            stored = _StoredAt(self.clock, pushed_at + 3,
                               fakes.message(body))
            self.client.script('q', *[stored] * 20)
            self.push.push('q', body)
            self.assertEqual([1], fakes.values(listener.poll(timeout=100)),
                             mode)
            self.assertLessEqual(self.clock() - pushed_at,
                                 2 + zlistener.LATE_STORE_READ, mode)

    def test_late_reads_are_bounded(self):
        # A guest posting what it deletes at once: announcements never
        # found, one after the other.
        listener = self.listener(sources=[('q', 'pop')])
        now = self.clock()
        late = zlistener.LATE_STORE_READ
        for after in (0, 1, 2, late / 2):
            listener._read_late(now + after)
        self.assertEqual([now + late], listener._extra_reads)
        listener._read_late(now + late / 2 + 0.5)
        self.assertEqual([now + late, now + late * 1.5 + 0.5],
                         listener._extra_reads)

    def test_a_push_of_a_message_already_read_reads_nothing(self):
        listener = self.listener(sources=[('q', 'pop')])
        first = fakes.message(fakes.cast(1))
        self.client.script('q', [first])
        self.assertEqual([1], fakes.values(listener.poll(timeout=1,
                                                         batch_size=5)))
        self.push.push('q', first['body'])
        self.assertEqual([], listener.poll(timeout=100))
        self.assertEqual(1, len(self.reads('q')))

    def test_a_flood_of_announcements_is_bounded_and_asks_a_catch_up(self):
        listener = self.listener(sources=[('q', 'pop')])
        listener.poll(timeout=1)
        for n in range(zlistener.MAX_PENDING + 5):
            self.push.push('q', fakes.cast(n))
        listener._take_pushes()
        source = self.sources['q']
        self.assertTrue(source.catch_up)
        self.assertEqual(zlistener.MAX_PENDING, len(source.pending))

    def test_a_catch_up_read_that_finds_nothing_is_repeated(self):
        # Zaqar pushes before it stores: a message posted as the
        # subscription began may be stored just after the catch-up read.
        listener = self.listener(sources=[('q', 'pop')])
        self.client.script('q', [], [fakes.message(fakes.cast(1))])
        self.push.push('q', None)
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual(2, self.client.count('claim'))

    def test_the_repeats_end_with_the_grace(self):
        listener = self.listener(sources=[('q', 'pop')])
        self.push.push('q', None)
        self.assertEqual([], listener.poll(timeout=100))
        self.assertFalse(self.sources['q'].catch_up)
        # Pauses triple from poll_min_interval: a handful of reads.
        self.assertEqual(7, self.client.count('claim'))

    def test_a_push_arriving_during_a_read_is_not_lost(self):
        # The subscription (re)starts while a read is under way: what was
        # stored after that read began must be read again.
        listener = self.listener(sources=[('q', 'pop')])
        first, second = (fakes.message(fakes.cast(1)),
                         fakes.message(fakes.cast(2)))

        def restarted():
            self.push.push('q', None)
            return [first]

        self.client.script('q', restarted, [second])
        self.push.push('q', first['body'])
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual([2], fakes.values(listener.poll(timeout=5)))

    def test_ids_announced_with_a_catch_up_are_kept(self):
        # A push naming no message came with others: a catch-up read that
        # finds an earlier announced message must not end the reading
        # while announced ones wait in the queue.
        listener = self.listener(sources=[('q', 'claim')])
        first, second = (fakes.message(fakes.cast(1)),
                         fakes.message(fakes.cast(2)))
        self.push.push('q', first['body'])

        def more_pushes():
            self.push.push('q', None)
            self.push.push('q', second['body'])

        self.clock.at(self.clock() + 0.001, more_pushes)
        self.client.script('q', [], [first], [second])
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual([2], fakes.values(listener.poll(timeout=5)))

    def test_a_burst_is_read_to_its_end_whatever_its_ids(self):
        # Posted in batches of ten faster than they are read: bodies
        # naming no envelope id, casts that share one, and good casts
        # between them and last. Each claim takes ``cost`` seconds.
        shared = fakes.cast('shared')
        bodies = ([fakes.cast('good-0')] +
                  [dict(shared, id={'n': n}) for n in range(25)] +
                  [shared] * 25 + [fakes.cast('good-1')] + ['junk'] * 5 +
                  [fakes.cast('good-2')])
        for cost in (0.001, 0.005, 0.02):
            listener = self.listener(sources=[('q', 'claim')])
            queue = []

            def claim(limit):
                self.clock.advance(cost)
                taken = queue[:limit]
                del queue[:limit]
                return taken

            self.client.claim = lambda name, limit: claim(limit)
            for n in range(0, len(bodies), 10):
                self.clock.at(self.clock() + 0.01 * (n + 1), lambda n=n: (
                    queue.extend(fakes.message(b) for b in bodies[n:n + 10]),
                    [self.push.push('q', b) for b in bodies[n:n + 10]]))
            got = []
            while self.clock() < 1060:
                got += fakes.values(listener.poll(timeout=1, batch_size=10))
            self.assertEqual([], queue, cost)
            self.assertEqual(['good-0', 'shared', 'good-1', 'good-2'], got,
                             cost)

    def test_a_full_page_is_read_on_at_once(self):
        listener = self.listener(sources=[('q', 'pop')], push=False)
        page = [fakes.message(fakes.cast(n)) for n in range(1, 3)]
        self.client.script('q', page[:1], page[1:])
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual([2], fakes.values(listener.poll(timeout=5)))
        self.assertEqual([1, zlistener.PAGE],
                         [r[2] for r in self.client.made('claim')])
        self.assertEqual([], self.clock.pauses)

    def test_cleanup_ends_the_subscriptions(self):
        listener = self.listener()
        self.assertEqual(['fan', 'srv', 'topic'],
                         sorted(q for q, cbs in self.push.callbacks.items()
                                if cbs))
        listener.cleanup()
        self.assertEqual([], [q for q, cbs in self.push.callbacks.items()
                              if cbs])


class TestReadErrors(ListenerTestCase):
    """Failing reads: backoff (``backoff.Backoff``), never an exception."""

    def assertBackoff(self, pauses, first=0.2, limit=10.0):
        for n, pause in enumerate(pauses):
            nominal = min(first * 2 ** n, limit)
            self.assertTrue(0.75 * nominal <= pause <= 1.25 * nominal,
                            (n, pauses))

    def test_zaqar_away_backs_off_then_every_queue_is_read(self):
        listener = self.listener(sources=SERVER[:2])
        listener.poll(timeout=1)
        away = errors.Unreachable('away')
        self.client.script(None, away, away, away, away)
        self.push.push('topic', fakes.cast(1))
        del self.clock.pauses[:]
        self.assertEqual([], listener.poll(timeout=30))
        self.assertBackoff(self.clock.pauses[:4])
        # Logged once each way.
        self.assertEqual(1, self.log.output.count('Zaqar unreachable'))
        self.assertEqual(1, self.log.output.count('reachable again'))
        # Pushes may have been lost meanwhile: every queue is read once
        # Zaqar answers again.
        recovered = self.client.requests[-1][3]
        self.assertEqual(['srv', 'topic'], sorted(
            r[1] for r in self.client.requests if r[3] == recovered))

    def test_success_starts_the_backoff_again(self):
        listener = self.listener(sources=[('q', 'claim')], push=False)
        away = errors.Unreachable('away')
        self.client.script('q', away, away, [], away)
        listener.poll(timeout=5)
        self.assertBackoff(self.clock.pauses[:2])
        self.assertEqual(0.005, self.clock.pauses[2])
        self.assertBackoff(self.clock.pauses[3:4])

    def test_a_lost_claim_is_read_again_when_it_expires(self):
        # A claim whose answer was lost holds what it took, unannounced,
        # until its TTL passes; a request held by a broken path may reach
        # Zaqar when it heals (about when Zaqar answers again) or, on
        # another connection, later: read again a TTL after the failure,
        # after Zaqar answered again, and once more a TTL later.
        ttl = httpclient.CLAIM_TTL
        listener = self.listener(sources=[('q', 'claim')])
        listener.poll(timeout=1)
        self.client.script('q', errors.Unreachable('no answer'))
        self.push.push('q', fakes.cast(1))
        listener.poll(timeout=5)
        failed_at, answered_at = self.client.times('claim')[1:3]
        listener._next_full = self.clock() + 1000
        listener.poll(timeout=2 * ttl + zlistener.ORPHAN_SPREAD + 5)
        self.assertOrphanReads(
            [failed_at + ttl, answered_at + ttl, answered_at + 2 * ttl],
            [t for t in self.client.times('claim') if t > answered_at + 10])

    def test_a_refused_queue_is_logged_once_and_others_still_read(self):
        listener = self.listener(sources=SERVER[:2], push=False)
        refused = errors.Rejected('no', 403)
        self.client.script('srv', refused, refused, refused)
        self.client.script('topic', [], [], [fakes.message(fakes.cast(1))])
        self.assertEqual([1], fakes.values(listener.poll(timeout=100)))
        self.assertEqual(1, self.log.output.count('Zaqar refuses reading'))
        self.assertBackoff(self.clock.pauses[:2])

    def test_an_unexpected_error_never_leaves_poll(self):
        listener = self.listener(sources=[('q', 'claim')], push=False)
        self.client.script('q', *[RuntimeError('bug')] * 3)
        self.assertEqual([], listener.poll(timeout=5))
        self.assertEqual(3, self.log.output.count('Unexpected error reading'))
        self.assertBackoff(self.clock.pauses[:3])


def _twice(body):
    return [fakes.message(body), fakes.message(body)]


def _dq():
    return envelope.query(envelope.new_id())


class TestWhatIsHandedOver(ListenerTestCase):
    """What becomes of each message read (the incoming path)."""

    # name, messages read from a server's own queue, values handed over,
    # what the log says
    TABLE = [
        ('a cast', [fakes.message(fakes.cast(1))], [1], ''),
        ('a call with time left', [fakes.message(fakes.call(1), age=10)],
         [1], ''),
        ('a call whose caller gave up',
         [fakes.message(fakes.call(1, timeout=30), age=30)], [],
         'its caller has given up'),
        ('not an envelope', [fakes.message('hello')], [],
         'malformed or foreign'),
        ('another major version',
         [fakes.message(dict(fakes.cast(1), v='2.0'))], [],
         'malformed or foreign'),
        ('a reply on a server queue',
         [fakes.message(envelope.reply(fakes.call(1), 'r'))], [],
         'malformed or foreign'),
        ('a notification on a server queue',
         [fakes.message(envelope.notification({}, {}, 2.0))], [],
         'malformed or foreign'),
        ('a call without its reply grant',
         [fakes.message({k: v for k, v in fakes.call(1).items()
                         if k != 'rg'})], [], 'missing rg'),
        ('a question for the fanout queue on a server queue',
         [fakes.message(_dq())], [], 'only fanout queues carry them'),
        ('the same envelope twice', _twice(fakes.cast(1)), [1],
         'Dropped duplicate'),
        ('a message that is not an object', ['junk'], [],
         'unexpected error'),
        ('a bad message costs itself only',
         ['junk', fakes.message('hello'), fakes.message(fakes.cast(2))],
         [2], 'malformed or foreign'),
    ]

    def test_table(self):
        for name, messages, expected, logged in self.TABLE:
            listener = self.listener(sources=[('srv', 'pop')], push=False)
            self.client.script('srv', messages)
            got = listener.poll(timeout=1, batch_size=10)
            self.assertEqual(expected, fakes.values(got), name)
            self.assertIn(logged, self.log.output, name)

    def test_a_call_carries_its_callers_deadline(self):
        listener = self.listener(sources=[('srv', 'pop')], push=False)
        self.client.script('srv', [fakes.message(fakes.call(1, 30), 10)])
        [call] = listener.poll(timeout=1)
        self.assertEqual(self.clock() + 20, call.deadline)
        self.assertEqual([], self.driver.posts)

    def test_a_cast_has_no_deadline(self):
        listener = self.listener(sources=[('srv', 'pop')], push=False)
        self.client.script('srv', [fakes.message(fakes.cast(1))])
        [cast] = listener.poll(timeout=1)
        self.assertIsNone(cast.deadline)

    def test_rpc_deletes_in_the_background_before_dispatch(self):
        listener = self.listener(sources=[('srv', 'pop')], push=False)
        message = fakes.message(fakes.cast(1))
        self.client.script('srv', [message])
        listener.poll(timeout=1)
        claimed_at = self.client.times('claim')[0]
        self.assertEqual(
            [('srv', [message['id']], claimed_at + httpclient.CLAIM_TTL)],
            self.driver.deletes)
        self.assertEqual(0, self.client.count('delete'))

    def test_notifications_delete_in_the_background_before_dispatch(self):
        listener = self.listener(sources=[('n', 'claim')], push=False,
                                 notifications=True)
        message = fakes.message(envelope.notification({}, {'x': 1}, 2.0))
        self.client.script('n', [message])
        [got] = listener.poll(timeout=1)
        self.assertEqual({'x': 1}, got.message)
        claimed_at = self.client.times('claim')[0]
        self.assertEqual(
            [('n', [message['id']], claimed_at + httpclient.CLAIM_TTL)],
            self.driver.deletes)
        self.assertEqual(0, self.client.count('delete'))

    def test_fanout_messages_are_seen_once_and_only_new_ones(self):
        listener = self.listener(sources=[('fan', 'observe')], push=False,
                                 start=False)
        old = fakes.message(fakes.cast(0))
        new = fakes.message(fakes.cast(1))
        self.client.script('fan', [old], [old, new], [new])
        listener.start(None)
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual([], listener.poll(timeout=5))
        self.assertEqual(0, self.client.count('claim'))

    def test_a_fanout_message_pushed_before_it_was_stored_is_read(self):
        # Zaqar pushes before it stores: the read a push starts may list
        # nothing yet. The announcement is read again (push_grace), as on
        # a topic, not forgotten until the next push or the safety read.
        listener = self.listener(sources=[('fan', 'observe')], start=False)
        self.client.script('fan', [], [])       # primed: nothing yet
        listener.start(self.push)
        listener.poll(timeout=1)
        body = fakes.cast(1)
        self.client.script('fan', [], [fakes.message(body)])
        self.push.push('fan', body)
        self.assertEqual([1], fakes.values(listener.poll(timeout=1)))


class TestPostedTwice(ListenerTestCase):
    """A request marked ``re`` (posted again) runs once across servers."""

    def setUp(self):
        super().setUp()
        self.listener_ = self.listener(push=False)
        self.window = 2 * 1.0 + dedupe.MARGIN

    def _posts(self):
        """What the listener posted, but its hellos (fair dispatch)."""
        return [(queue, bodies) for queue, bodies in self.driver.posts
                if [b['k'] for b in bodies] != ['hi']]

    def _read(self, queue, body):
        self.client.script(queue, [fakes.message(body)])

    def test_a_marked_request_waits_for_the_other_servers_then_runs(self):
        body = envelope.retried(fakes.cast(1))
        self._read('topic', body)
        self.assertEqual([1], fakes.values(self.listener_.poll(
            timeout=100)))
        # Asked twice: at once, and halfway through the window.
        self.assertEqual([('fan', 'dq', body['id'])] * 2,
                         [(queue, query['k'], query['x'])
                          for queue, [query] in self._posts()])
        asked_at = self.client.times('claim', 'topic')[0]
        self.assertEqual(asked_at + self.window, self.clock())

    def test_a_marked_request_another_server_ran_is_dropped(self):
        body = envelope.retried(fakes.cast(1))
        self._read('topic', body)
        self.client.script('fan', [], [fakes.message(envelope.done(
            body['id']))])
        self.assertEqual([], self.listener_.poll(timeout=100))
        self.assertIn('another server of the topic ran it', self.log.output)

    def test_a_marked_call_whose_caller_gave_up_meanwhile_is_dropped(self):
        body = envelope.retried(fakes.call(1, timeout=2))
        self._read('topic', body)
        self.assertEqual([], self.listener_.poll(timeout=100))
        self.assertIn('its caller gave up while the servers of its topic '
                      'were asked', self.log.output)

    def test_a_marked_request_on_the_servers_own_queue_runs_at_once(self):
        self._read('srv', envelope.retried(fakes.cast(1)))
        self.assertEqual([1], fakes.values(self.listener_.poll(timeout=1)))
        self.assertEqual([], self._posts())

    def test_a_request_ran_here_is_answered_on_the_fanout_queue(self):
        body = fakes.cast(1)
        self._read('topic', body)
        self.listener_.poll(timeout=1)
        self.client.script('fan', [fakes.message(envelope.query(
            body['id']))])
        self.listener_.poll(timeout=2)
        self.assertEqual([('fan', 'dn', body['id'])],
                         [(q, b['k'], b['x'])
                          for q, [b] in self._posts()])


class TestWebsocketRequests(ListenerTestCase):
    """Pushed listeners claim and delete over their websocket."""

    def pushed(self, notifications=False, **query):
        listener = self.listener(sources=[('q', 'claim')], ws=True,
                                 notifications=notifications, **query)
        listener.poll(timeout=1)
        return listener

    def test_claims_go_over_the_websocket_deletes_to_the_deleter(self):
        # The deleter sends them over the websocket too (test_deleter).
        listener = self.pushed(notifications=True)
        read = fakes.message(fakes.cast(1))
        self.ws.script('q', [read])
        self.push.push('q', fakes.cast(1))
        listener.poll(timeout=5)
        self.assertTrue(self.ws.count('claim', 'q'))
        self.assertEqual([[read['id']]], [d[1] for d in self.driver.deletes])
        self.assertEqual(0, self.client.count('claim'))
        self.assertEqual(0, self.client.count('delete'))

    def test_a_websocket_that_fails_falls_back_to_http(self):
        listener = self.pushed()
        self.ws.script('q', errors.Rejected('websocket says no', 400))
        self.client.script('q', [fakes.message(fakes.cast(1))])
        self.push.push('q', fakes.cast(1))
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual(1, self.client.count('claim', 'q'))

    def test_a_lost_websocket_claim_is_read_again_when_it_expires(self):
        # It may hold what it took, unannounced, until its TTL passes.
        listener = self.pushed()
        self.ws.script('q', errors.Unreachable('no answer', sent=True))
        self.push.push('q', fakes.cast(1))
        listener.poll(timeout=5)
        failed_at = self.client.times('claim', 'q')[0]
        listener._next_full = self.clock() + 1000
        ttl = httpclient.CLAIM_TTL
        listener.poll(timeout=2 * ttl + zlistener.ORPHAN_SPREAD + 5)
        # It may still reach Zaqar when the websocket's path heals.
        self.assertOrphanReads(
            [failed_at + ttl, failed_at + 2 * ttl],
            [t for t in self.ws.times('claim', 'q') if t > failed_at + 10])

    def test_off_claims_over_http(self):
        listener = self.pushed(push_requests='false')
        read = fakes.message(fakes.cast(1))
        self.client.script('q', [read])
        self.push.push('q', fakes.cast(1))
        self.assertEqual([1], fakes.values(listener.poll(timeout=5)))
        self.assertEqual(0, self.ws.count('claim'))
        self.assertEqual([read['id']], self.driver.deletes[0][1])
