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

"""Fair dispatch among the servers of a topic (``fairness``).

Zaqar gives a message to the first claim; a server that just took one
would take the next too, as it is woken with the others by its push. A
server that knows the topic is shared leaves the next claim to the others
for ``claim_yield``; a topic with one server is never slowed. Fake clock
and scripted client (``fakes``), as in ``test_listener_decisions``.
"""

import fixtures

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import fairness
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.unit.rpc import fakes
from zaqar_trove_tests.unit.rpc import test_listener_decisions as decisions

NOW = 1000.0
#: A yielding polling server reads its topic this often.
TURN = fairness.YIELD_TURN


class TestWhenAServerYields(decisions.ListenerTestCase):
    """``FairDispatch.yielding``, by situation."""

    # name, mode, took (s ago, None: never), contended, pending -> yields
    TABLE = [
        ('took just now from a shared topic', 'claim', 0.01, True, 1,
         True),
        ('took from a shared topic longer than claim_yield ago', 'claim',
         0.1, True, 1, False),
        ('never took here', 'claim', None, True, 1, False),
        ('one server: no competitor ever seen', 'claim', 0.01, False, 1,
         False),
        ('a backlog: every server busy', 'claim', 0.01, True,
         fairness.YIELD_BACKLOG + 1, False),
        ('up to the backlog it still yields', 'claim', 0.01, True,
         fairness.YIELD_BACKLOG, True),
        ('announced before it took, not taken: others took them',
         'claim', -0.01, True, fairness.YIELD_BACKLOG + 1, True),
        ('pushes after the one it took: they may wait', 'claim', 0.02,
         True, fairness.YIELD_BACKLOG + 1, False, 0.03),
        ("a server's own queue (one reader)", 'pop', 0.01, True, 1, False),
    ]

    def test_table(self):
        listener = self.listener(sources=[('q', 'claim')])
        listener._fair._since = NOW - fairness.PUSH_LEARN   # past its start
        for name, mode, took, contended, pending, expected, *mark in (
                self.TABLE):
            source = zlistener.Source('q', mode)
            source.took_at = None if took is None else NOW - took
            # The message it took was announced ``mark`` s ago (else: it
            # was not announced, the claim's time counts).
            source.took_mark = NOW - (mark or [took or 0])[0]
            source.contended_until = NOW + (10 if contended else -10)
            source.pending = {str(n) for n in range(pending)}
            source.announced = {i: NOW for i in source.pending}
            self.assertEqual(expected, listener._fair.yielding(source, NOW),
                             name)

    def test_numbers_judge_what_waits_when_pushes_come_late(self):
        # Six pushes came after the claim; the sender's numbers say four
        # are older than the message taken (number 5): others took them.
        listener = self.listener(sources=[('q', 'claim')])
        source = self.sources['q']
        source.took_at = source.took_mark = NOW - 0.01
        source.contended_until = NOW + 10
        source.streams['s' * 32] = 5
        source.announced = {str(n): NOW for n in range(6)}
        source.pending = set(source.announced)
        source.sequences = {str(n): ('s' * 32, n + 1) for n in range(6)}
        source.sequences['0'] = ('t' * 32, 9)   # another sender's stream
        self.assertTrue(listener._fair.yielding(source, NOW))
        source.sequences = {}
        self.assertFalse(listener._fair.yielding(source, NOW))

    def test_a_push_hands_over_its_number(self):
        listener = self.listener(sources=[('q', 'claim')])
        source = self.sources['q']
        body = dict(fakes.cast(1), sq=['s' * 32, 3])
        listener._on_push(source, body)
        listener._on_push(source, fakes.cast(2))
        listener._take_pushes()
        self.assertEqual({body['id']: ('s' * 32, 3)}, source.sequences)

    def test_claim_yield_zero_never_yields(self):
        listener = self.listener(sources=[('q', 'claim')], claim_yield=0)
        source = self.sources['q']
        source.took_at = source.took_mark = NOW
        source.contended_until = NOW + 10
        self.assertFalse(listener._fair.yielding(source, NOW))

    def test_a_yielding_topic_is_not_due_and_others_still_are(self):
        listener = self.listener()
        topic, own = self.sources['topic'], self.sources['srv']
        for source in (topic, own):
            source.pending, source.hint_at = {'x'}, NOW
            source.announced = {'x': NOW}
        topic.took_at = topic.took_mark = NOW
        topic.contended_until = NOW + 10
        listener._next_full = NOW + 100     # no safety read due
        self.assertEqual(['srv'], [s.queue for s in listener._due(NOW)])

    def test_a_read_for_lost_claims_reads_a_yielding_topic_too(self):
        # Its messages are announced by nothing; the next such read may be
        # a TTL away, the safety read ten minutes.
        listener = self.listener()
        topic = self.sources['topic']
        topic.took_at = topic.took_mark = NOW
        topic.contended_until = NOW + 10
        listener._next_full = NOW + 100
        listener._extra_reads = [NOW]
        self.assertIn('topic', [s.queue for s in listener._due(NOW)])
        listener._extra_reads, listener._next_full = [], NOW
        self.assertIn('topic', [s.queue for s in listener._due(NOW)])


class TestSignsOfCompetitors(decisions.ListenerTestCase):
    """``took`` and forgotten announcements: is the topic shared?"""

    # name, announced {id: s before the claim}, ids taken -> contended
    TABLE = [
        ('took the oldest announced: nothing to say', {'a': 2, 'b': 1},
         ['a'], False),
        ('took a newer one while an older is still unread: says nothing '
         '(Zaqar pushes before it stores: concurrent posts are announced '
         'and stored in different orders)', {'a': 2, 'b': 1}, ['b'],
         False),
        ('took both', {'a': 2, 'b': 1}, ['a', 'b'], False),
        ('took an unannounced message: nothing to say', {'a': 2}, ['z'],
         False),
        ('found nothing just after the push: maybe not stored yet',
         {'a': 0.01}, [], False),
        ('found nothing long after the push: another server took it',
         {'a': fairness.STORED_AFTER}, [], True),
        ('found nothing, nothing announced', {}, [], False),
    ]

    def test_table(self):
        listener = self.listener(sources=[('q', 'claim')])
        for name, announced, taken, expected in self.TABLE:
            source = zlistener.Source('q', 'claim')
            source.announced = {i: NOW - ago for i, ago in announced.items()}
            source.pending = set(announced)
            messages = [fakes.message(dict(fakes.cast(i), id=i))
                        for i in taken]
            listener._fair.took(source, messages, NOW, NOW + 0.01)
            self.assertEqual(NOW + 0.01 if taken else None, source.took_at,
                             name)
            self.assertEqual(expected, source.contended_until > NOW, name)

    def _forgotten(self, mode):
        """A source whose announcement, read since, passed push_grace."""
        listener = self.listener(sources=[('q', mode)])
        source = self.sources['q']
        source.pending, source.announced = {'x'}, {'x': NOW - 2}
        source.hint_at, source.read_at = NOW - 2, NOW - 0.1
        listener._next_full = NOW + 100
        listener._due(NOW)
        self.assertEqual({}, source.announced)
        return source

    def test_an_announcement_never_found_means_a_shared_topic(self):
        self.assertGreater(self._forgotten('claim').contended_until, NOW)

    def test_a_servers_own_queue_never_counts_as_shared(self):
        self.assertEqual(0.0, self._forgotten('pop').contended_until)


class TestTheNextClaim(decisions.ListenerTestCase):
    """When a server that just took a message claims again."""

    def _took_first(self, contended, settled=True):
        listener = self.listener(sources=[('q', 'claim')])
        # The first (full) read; past its first moments (PUSH_LEARN), a
        # server with no sign of another takes itself to be alone.
        listener.poll(timeout=fairness.PUSH_LEARN + 0.5 if settled else 1)
        first = fakes.message(fakes.cast(1))
        self.client.script('q', [first], [fakes.message(fakes.cast(2))])
        self.push.push('q', first['body'])
        self.assertEqual([1], fakes.values(listener.poll(timeout=100)))
        if contended:
            self.sources['q'].contended_until = self.clock() + 60
        took = self.clock()
        self.clock.at(took + 0.01,
                      lambda: self.push.push('q', fakes.cast(2)))
        self.assertEqual([2], fakes.values(listener.poll(timeout=100)))
        return took

    def test_on_a_shared_topic_it_waits_its_turn(self):
        # No other server took the message by YIELD_TURN: it does.
        took = self._took_first(contended=True)
        self.assertAlmostEqual(took + 0.01 + fairness.YIELD_TURN,
                               self.reads('q')[-1])

    def test_alone_on_its_topic_it_claims_at_once(self):
        took = self._took_first(contended=False)
        self.assertAlmostEqual(took + 0.01, self.reads('q')[-1])

    def test_in_its_first_moments_it_yields(self):
        took = self._took_first(contended=False, settled=False)
        self.assertAlmostEqual(took + 0.01 + fairness.YIELD_TURN,
                               self.reads('q')[-1])

    def test_once_another_server_took_one_its_yield_is_over(self):
        listener = self.listener(sources=[('q', 'claim')])
        listener.poll(timeout=fairness.PUSH_LEARN + 0.5)
        first, third = (fakes.message(fakes.cast(n)) for n in (1, 3))
        self.client.script('q', [first], [], [third])
        self.push.push('q', first['body'])
        self.assertEqual([1], fakes.values(listener.poll(timeout=100)))
        self.sources['q'].contended_until = self.clock() + 60
        took = self.clock()
        # Another server takes the second: this one's turn finds nothing.
        self.clock.at(took + 0.01,
                      lambda: self.push.push('q', fakes.cast(2)))
        self.clock.at(took + 0.04,
                      lambda: self.push.push('q', third['body']))
        self.assertEqual([3], fakes.values(listener.poll(timeout=100)))
        reads = [round(t - took, 3) for t in self.reads('q') if t > took]
        self.assertEqual([0.03, 0.04], reads[:2])

    def test_it_does_not_spin_while_it_yields(self):
        took = self._took_first(contended=True)
        reads = [t for t in self.reads('q') if took < t]
        self.assertEqual(1, len(reads))
        self.assertLess(len(self.clock.pauses), 20)


class TestABacklogOfJunk(decisions.ListenerTestCase):
    """Junk on a topic costs its servers a read each, no yield, no lag.

    A guest may post to the conductor's topic: messages the listener
    drops (malformed, foreign) are no work taken from the other servers,
    and a backlog still being read says nothing of another server.
    """

    #: A claim takes this long (fake clock).
    CLAIM = 0.005
    #: Reading this many, one claim each, takes longer than push_grace.
    COUNT = 300

    def _drain(self, junk, contended=False):
        """Fake seconds until the cast behind ``junk`` is handed over."""
        listener = self.listener(sources=[('q', 'claim')])
        listener.poll(timeout=fairness.PUSH_LEARN + 0.5)     # settled
        self.push.is_lag = lambda age, since: True
        if contended:
            self.sources['q'].contended_until = self.clock() + 600
        bodies = [junk(n) for n in range(self.COUNT)] + [fakes.cast('good')]
        self.client.script('q', *[[fakes.message(b, age=5)] for b in bodies])
        self.client.delay = self.CLAIM
        for body in bodies:
            self.push.push('q', body)
        start = self.clock()
        self.assertEqual(['good'],
                         fakes.values(listener.poll(timeout=100)))
        self.assertEqual([], self.push.lags)
        return self.clock() - start

    def assertAtOnce(self, took):
        # One claim after another (a yield per message: over 30 s).
        self.assertLess(took, (self.COUNT + 1) * self.CLAIM + 0.5)

    def test_announced_junk_read_past_push_grace(self):
        # Every announcement of the backlog is read in the end: none was
        # taken by another server.
        self.assertAtOnce(self._drain(
            lambda n: dict(fakes.cast(n), ctx=[n])))
        self.assertEqual(0.0, self.sources['q'].contended_until)

    def test_junk_no_push_can_name(self):
        self.assertAtOnce(self._drain(lambda n: {'junk': n}))

    def test_junk_on_a_shared_topic(self):
        self.assertAtOnce(self._drain(lambda n: {'junk': n},
                                      contended=True))


def notification(value, number):
    """A notification read from Zaqar, number ``number`` of a stream."""
    body = envelope.notification({}, {'event_type': 'e', 'payload': value,
                                      'priority': 'INFO',
                                      'publisher_id': 'p'}, 2.0)
    return fakes.message(envelope.sequenced(body, ('c' * 32, number)))


def numbered(value, stream, number, age=0):
    """A cast read from Zaqar, number ``number`` of ``stream``."""
    stream = stream if len(stream) == 32 else stream * 32
    body = envelope.sequenced(fakes.cast(value), (stream, number))
    return fakes.message(body, age)


class TestStreams(decisions.ListenerTestCase):
    """``_numbers``: the senders' numbered streams (``sq``) show gaps."""

    # name, [(stream, number, s after the first)] -> (gap, in order)
    TABLE = [
        ('one stream from its start', [('a', 1, 0), ('a', 2, 0),
                                       ('a', 3, 0)], (False, 3)),
        ('a stream met midway (a sender older than this server): no gap',
         [('a', 5, 0)], (False, 1)),
        ('two streams interleaved', [('a', 1, 0), ('b', 1, 0), ('a', 2, 0),
                                     ('b', 2, 0)], (False, 4)),
        ('a number skipped, not come GAP_AFTER later: taken elsewhere',
         [('a', 1, 0), ('a', 3, 0), ('a', 4, fairness.GAP_AFTER)],
         (True, 2)),
        ('a number skipped, read soon after: stored out of order',
         [('a', 1, 0), ('a', 3, 0), ('a', 2, 0.01),
          ('a', 4, fairness.GAP_AFTER)], (False, 2)),
        ('a number skipped, checked too soon to say',
         [('a', 1, 0), ('a', 3, 0), ('a', 4, 0.01)], (False, 2)),
        ('an old number again (a repost): nothing',
         [('a', 1, 0), ('a', 2, 0), ('a', 1, 0)], (False, 2)),
    ]

    def test_table(self):
        for name, reads, (gap, in_order) in self.TABLE:
            source = zlistener.Source('q', 'claim')
            seen = False
            for stream, number, after in reads:
                seen |= fairness.FairDispatch._numbers(
                    source, [numbered(0, stream, number)], NOW + after)
            self.assertEqual((gap, in_order), (seen, source.in_order), name)

    def test_a_number_taken_for_gone_that_comes_after_all_undoes_it(self):
        # A post slower than GAP_AFTER: the gap said nothing.
        source = zlistener.Source('q', 'claim')
        numbers = fairness.FairDispatch._numbers
        numbers(source, [numbered(0, 'a', 1), numbered(0, 'a', 3)], NOW)
        self.assertTrue(numbers(source, [], NOW + 1.2))
        source.gap_until = NOW + 60
        self.assertFalse(numbers(source, [numbered(0, 'a', 2)], NOW + 1.5))
        self.assertEqual((0.0, {}), (source.gap_until, dict(source.elsewhere)))
        self.assertEqual(3, source.streams['a' * 32])

    def test_a_message_without_a_valid_number_says_nothing(self):
        source = zlistener.Source('q', 'claim')
        for sq in (None, ['a' * 32], ['a' * 32, 0], ['a' * 32, True],
                   ['a' * 32, 1.5], ['short', 1], 'a', {'a': 1}):
            body = dict(fakes.cast(0), sq=sq)
            self.assertFalse(fairness.FairDispatch._numbers(
                source, [fakes.message(body)], NOW))
        self.assertEqual((0, {}), (source.in_order, source.missing))

    def test_what_a_source_follows_is_bounded(self):
        source = zlistener.Source('q', 'claim')
        for n in range(fairness.MAX_STREAMS + 10):
            fairness.FairDispatch._numbers(
                source, [numbered(0, '%031x' % n + 'a', 1)], NOW)
        fairness.FairDispatch._numbers(
            source, [numbered(0, 'b', 1), numbered(0, 'b', 10 ** 6)], NOW)
        self.assertEqual(fairness.MAX_STREAMS, len(source.streams))
        self.assertEqual(fairness.MAX_MISSING, len(source.missing))


class TestPollingServers(decisions.ListenerTestCase):
    """Polling: no competitor is heard of before a server took a message.

    So a polling server yields until its topic shows it is alone.
    """

    def _polled(self, *messages, notifications=False):
        sources = [('q', 'claim')] + ([] if notifications else
                                      [('fan', 'observe')])
        listener = self.listener(sources=sources, push=False,
                                 notifications=notifications)
        self.client.script('q', *[[m] for m in messages])
        taken = []
        for _ in messages:
            taken += fakes.values(listener.poll(timeout=100))
        return listener, taken

    def _gaps(self):
        reads = [t for t in self.client.times('claim', 'q')]
        return [round(b - a, 3) for a, b in zip(reads, reads[1:])]

    def test_a_new_server_yields_after_each_message(self):
        self._polled(numbered(1, 'a', 1), numbered(2, 'a', 2))
        self.assertEqual([TURN], self._gaps()[:1])

    def _notified(self, numbers):
        """Gaps between a polling notification listener's takes."""
        listener = self.listener(sources=[('q', 'claim')], push=False,
                                 notifications=True, poll_max_interval=0.4)
        listener.poll(timeout=fairness.HELLO_LEARN + 0.5)
        self.client.script('q', *[[notification(n, n)] for n in numbers])
        first = len(self.client.times('claim', 'q'))
        self.assertEqual(len(numbers), len(listener.poll(
            timeout=100, batch_size=len(numbers), batch_timeout=10)))
        reads = self.client.times('claim', 'q')[first:]
        return [round(b - a, 3) for a, b in zip(reads, reads[1:])]

    def test_a_notification_listener_yields_until_a_run_lasted(self):
        # No hellos tell it of others, no turns: it yields claim_yield
        # after each message until a run in a row lasted
        # poll_max_interval + claim_yield (0.5 s), when its pool's other
        # listeners would have read.
        self.assertEqual([0.1] * 5 + [0.0] * 2, self._notified(range(1, 9)))

    def test_a_notification_listener_missing_a_number_yields_on(self):
        # Another listener of its pool took number 2.
        self.assertEqual([0.1] * 6, self._notified([1, 3, 4, 5, 6, 7, 8]))

    def test_with_no_hello_heard_it_is_alone_after_hello_learn(self):
        listener = self.listener(sources=[('q', 'claim'),
                                          ('fan', 'observe')], push=False)
        listener.poll(timeout=fairness.HELLO_LEARN + 0.5)
        self.client.script('q', [numbered(1, 'a', 5)], [numbered(2, 'b', 9)])
        listener.poll(timeout=100)
        listener.poll(timeout=100)
        self.assertEqual([0.0], self._gaps()[-1:])

    def test_alone_after_alone_after_messages_in_order(self):
        n = fairness.ALONE_AFTER
        self._polled(*[numbered(i, 'a', i) for i in range(1, n + 3)])
        self.assertEqual([TURN] * (n - 1) + [0.0] * 2, self._gaps())

    def test_a_gap_makes_it_yield_again(self):
        n = fairness.ALONE_AFTER
        listener = self.listener(sources=[('q', 'claim')], push=False)
        self.client.script('q', *[[numbered(i, 'a', i)]
                                  for i in range(1, n + 1)] +
                           [[numbered(n + 2, 'a', n + 2)]] + [[]] * 220 +
                           [[numbered(n + 3, 'a', n + 3)],
                            [numbered(n + 4, 'a', n + 4)]])
        taken = []
        while len(taken) < n + 3:
            taken += fakes.values(listener.poll(timeout=100))
        # n + 1 never came: another server took it (GAP_AFTER passed).
        self.assertGreater(self.sources['q'].gap_until, NOW)
        self.assertEqual(TURN, self._gaps()[-1])
        self.assertEqual(0.0, self._gaps()[n - 1])     # alone until then

    def test_a_message_that_waited_for_every_server_is_not_yielded(self):
        self._polled(numbered(1, 'a', 1, age=fairness.BACKLOG_AGE),
                     numbered(2, 'a', 2))
        self.assertEqual([0.0], self._gaps()[:1])

    def test_a_servers_own_queue_never_yields(self):
        listener = self.listener(sources=[('q', 'pop')], push=False)
        self.client.script('q', [numbered(1, 'a', 1)], [numbered(2, 'a', 2)])
        listener.poll(timeout=100)
        listener.poll(timeout=100)
        reads = self.reads('q')
        self.assertEqual([0.0], [b - a for a, b in zip(reads, reads[1:])])


def hello(server):
    """Another server's hello, as read from the fanout queue."""
    return fakes.message(envelope.hello(
        server if len(server) == 32 else server * 32))


class TestHellos(decisions.ListenerTestCase):
    """Polling RPC servers say hello on their topic's fanout queue."""

    def hellos(self):
        return [(queue, body['s']) for queue, bodies in self.driver.posts
                for body in bodies if body['k'] == 'hi']

    def test_a_polling_server_says_hello_once_when_alone(self):
        listener = self.listener(push=False)
        listener.poll(timeout=100)
        self.assertEqual([('fan', listener._fair._me)], self.hellos())

    def test_a_hello_that_cannot_be_posted_is_logged_and_reading_goes_on(
            self):
        listener = self.listener(push=False, start=False)

        def refuse(queue, bodies, ttl, **kwargs):
            raise errors.Unreachable('Zaqar is away')

        self.driver.post = refuse
        listener.start(None)
        listener.poll(timeout=5)
        self.assertIn("Cannot say hello to the other servers of ['srv', "
                      "'topic', 'fan']: Zaqar is away", self.log.output)
        self.assertNotIn('Unexpected error', self.log.output)
        self.assertGreater(len(self.reads('topic')), 1)

    def test_pushed_servers_and_notification_listeners_say_nothing(self):
        for kwargs in ({}, {'push': False, 'notifications': True,
                            'sources': [('n', 'claim'), ('f', 'observe')]}):
            listener = self.listener(**kwargs)
            listener.poll(timeout=10)
            self.assertEqual([], self.hellos(), kwargs)

    def test_a_hello_heard_makes_the_topic_shared_and_warm(self):
        listener = self.listener(push=False)
        listener.poll(timeout=5)            # alone: pauses grow to 1 s
        self.client.script('fan', [hello('b')])
        heard_at = self.clock()
        listener.poll(timeout=8)
        topic = self.sources['topic']
        self.assertGreater(topic.contended_until, heard_at + 50)
        warm = [t for t in self.client.times('claim', 'topic')
                if heard_at + 1.1 < t <= heard_at + 2]
        self.assertGreaterEqual(len(warm), 8)     # every claim_yield
        own = [t for t in self.reads('srv')
               if heard_at + 1.1 < t <= heard_at + 2]
        self.assertLessEqual(len(own), 1)         # its own pace
        later = [t for t in self.client.times('claim', 'topic')
                 if heard_at + 5.5 < t <= heard_at + 7.5]
        self.assertLessEqual(len(later), 3)       # cold again
        # It says hello back (the other server learns of it), once.
        self.assertEqual(2, len(self.hellos()))

    def test_hellos_at_start_are_heard_other_messages_skipped(self):
        listener = self.listener(push=False, start=False)
        self.client.script('fan', [hello('b'), fakes.message(
            envelope.done('c' * 32))])
        listener.start(None)
        self.assertEqual(['b' * 32], list(listener._fair._peers))
        self.assertGreater(self.sources['topic'].contended_until, 0)

    def test_a_reminder_does_not_warm(self):
        listener = self.listener(push=False)
        self.client.script('fan', [hello('b')])
        listener.poll(timeout=10)               # heard, warm, cold again
        self.client.script('fan', [fakes.message(envelope.hello(
            'b' * 32, warm=False))])
        heard_at = self.clock()
        listener.poll(timeout=3)
        warm = [t for t in self.client.times('claim', 'topic')
                if heard_at + 1.1 < t <= heard_at + 2]
        self.assertLessEqual(len(warm), 1)

    def test_it_reminds_the_others_every_hello_every(self):
        listener = self.listener(push=False)
        self.client.script('fan', [hello('b')])
        listener.poll(timeout=fairness.HELLO_EVERY * 2 + 5)
        warm = [b['w'] if 'w' in b else True
                for _, bodies in self.driver.posts for b in bodies
                if b['k'] == 'hi']
        # At start, back to the new server, then reminders.
        self.assertEqual([True, True, False, False], warm)

    def test_its_own_hello_is_not_a_peer(self):
        listener = self.listener(push=False)
        listener.poll(timeout=1)
        self.client.script('fan', [fakes.message(envelope.hello(
            listener._fair._me))])
        listener.poll(timeout=2)
        self.assertEqual({}, dict(listener._fair._peers))
        self.assertEqual(0.0, self.sources['topic'].contended_until)

    def test_a_flood_of_new_servers_costs_a_hello_a_second_at_most(self):
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar_trove_tests.rpc.fairness.MAX_PEERS', 5))
        listener = self.listener(push=False)
        page = [hello('%02d' % n + 'a' * 30) for n in range(30)]
        self.client.script('fan', page[:20], page[20:])
        listener.poll(timeout=10)
        self.assertLessEqual(len(self.hellos()), 10 / fairness.HELLO_MIN
                             + 1)
        self.assertEqual(5, len(listener._fair._peers))

    def test_a_hello_on_another_queue_is_dropped(self):
        listener = self.listener(push=False)
        self.client.script('topic', [hello('b')])
        self.assertEqual([], listener.poll(timeout=1))
        self.assertEqual({}, dict(listener._fair._peers))
        self.assertIn('only fanout queues carry them', self.log.output)

    def test_busy_again_after_an_idle_spell_it_says_hello(self):
        listener = self.listener(push=False)
        self.client.script('fan', [hello('b')])
        listener.poll(timeout=3)
        before = len(self.hellos())
        self.client.script('topic', [numbered(1, 'a', 1)])
        self.assertEqual([1], fakes.values(listener.poll(timeout=100)))
        listener.poll(timeout=0.5)
        self.assertEqual(before + 1, len(self.hellos()))
