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

"""Fair dispatch among the servers of a topic (``FairDispatch``).

Zaqar gives a message to the first claim. With push every server of a
topic is woken by the same push, so a server that just took one would
often take the next too; with polling, the server that took the last
message polls hot while the others' pauses have grown, and takes the
next as well. A server that has seen other servers take from its topic
lately (``FairDispatch.took``) leaves its next claim there to them for
``claim_yield`` seconds (``yielding``), unless a backlog says every
server is busy; meanwhile it reads there only at its turns (``turn_at``:
a polling RPC server every ``YIELD_TURN``; pushed, what a free server
would have claimed by then), as the others may all yield. Signs of other
servers: announcements never found (push), gaps in a sender's numbered
stream (``sq``, both modes: a number that never came was taken
elsewhere), and hellos (below). A new server cannot tell a competitor in
its first moments (a gap is known only ``GAP_AFTER`` later; pushes lag
behind claims in a burst), so it yields then too, until ``ALONE_AFTER``
messages in a row continued their senders' streams, or gaps or hellos
had time to tell (``PUSH_LEARN``; polling RPC servers ``HELLO_LEARN``);
a polling notification listener, which no hello tells of others, yields
until the ``ALONE_AFTER`` in a row, or until a run of messages in a row
lasted ``poll_max_interval`` + ``claim_yield`` with no number missing.

Polling RPC servers also say hello on their topic's fanout queue
(``hi``: at start, to a server heard of for the first time, every
``HELLO_EVERY`` while others are known, and when they take a message
after an idle spell while others are known): a hello makes the topic
shared for the others, and makes them read it every ``claim_yield`` for
``WARM_FOR`` times ``poll_max_interval``, so that what a yielding server
leaves is found by another, not by itself when its yield ends.
"""

import collections
import logging

from zaqar_trove_tests.rpc import envelope

LOG = logging.getLogger(__name__)

#: How long (s) a topic counts as shared with other servers after the
#: last sign of one (``FairDispatch.took``).
CONTENDED_FOR = 60.0
#: More announced messages than this waiting on a topic: every server is
#: busy, so none yields its claims (fairness would only cost throughput).
YIELD_BACKLOG = 4
#: A message announced this long (s) before a claim that found nothing
#: was stored by then (Zaqar pushes just before it stores): another
#: server took it.
STORED_AFTER = 0.1
#: A number of a sender's stream still missing this long (s) after a
#: later one was read was taken by another server. Concurrent posts of
#: one sender are stored out of order, a loaded Zaqar's some 0.1 s apart
#: (a lone bench server at 8 callers saw that as gaps several times a
#: second); one that comes even later undoes the gap.
GAP_AFTER = 1.0
#: A server yielding on a topic still reads it (polling) this often (s),
#: and claims there (push) what was announced after its last message this
#: long ago: a server free to take a message does so sooner, and when
#: every server of the topic yields, nothing waits for a yield to end
#: (without turns, 2 servers of a topic made 20 calls/s with one caller,
#: pushed or polling; 19 polling with 8 callers).
YIELD_TURN = 0.02
#: After this many messages in a row that each continued its sender's
#: stream (no number missing), a topic is taken to have one server: it
#: no longer yields (until a gap says otherwise).
ALONE_AFTER = 8
#: Streams (senders) a source follows; the oldest is forgotten beyond.
MAX_STREAMS = 256
#: Numbers of a stream awaited at once (the rest is not tracked).
MAX_MISSING = 32
#: Polling: a message this old (Zaqar's whole seconds) waited for every
#: server: a backlog, so the server that took it does not yield.
BACKLOG_AGE = 2
#: Polling: least time (s) between two hellos of a server.
HELLO_MIN = 1.0
#: Polling: a server that knows others on its topic says hello this often
#: (s), so that they go on knowing it (a hello counts CONTENDED_FOR).
HELLO_EVERY = 30.0
#: Polling RPC servers: this many poll_max_interval after its start (a
#: fanout queue is read every poll_max_interval), a server has heard the
#: hellos of the others, or their answers to its own.
HELLO_LEARN = 4
#: Push: this long (s) after its start a server has seen the gaps that
#: other servers of its topic leave, if they took anything.
PUSH_LEARN = 4.0
#: Other servers a listener remembers (the oldest is forgotten beyond).
MAX_PEERS = 64
#: Polling: after a hello, the topic is polled every claim_yield for this
#: many poll_max_interval (a fanout queue is read every poll_max_interval:
#: the others hear the next hello by then).
WARM_FOR = 4


class FairDispatch:
    """When one listener's servers leave a claim to the others.

    Owner: the listener's poll thread, as for the ``Source`` fields it
    reads and writes (``took_at``... see ``listener.Source``).

    :param pushed: ``pushed()``: whether push delivers now (else polling).
    :param sources: the listener's ``Source`` list (a hello marks its
        topics shared).
    :param notifications: a notification listener (no hellos, no turns).
    """

    def __init__(self, settings, clock, pushed, sources,
                 notifications=False):
        self._settings = settings
        self._sources = sources
        self._clock = clock
        self._pushed = pushed
        self._notifications = notifications
        self._since = 0.0
        self._me = envelope.new_id()
        self._peers = collections.OrderedDict()
        self._hello = None
        self._hello_due = None
        self._hello_at = None
        self._hello_refresh = False
        #: Until then, read the topic every claim_yield (a hello came).
        self.warm_until = 0.0

    def start(self, now, hello=None):
        """The listener starts; ``hello(body)`` posts to its fanout queue.

        A polling RPC server says hello (``hello`` given): at once.
        """
        self._since = now
        self._hello = hello
        self._hello_due = now if hello is not None else None

    def never_found(self, source, now):
        """Announcements on ``source`` were forgotten, never found.

        On a topic, another server took what this one never found.
        """
        if source.mode == 'claim':
            source.contended_until = now + CONTENDED_FOR

    def yield_ends(self, source):
        """When the yield on ``source`` ends or its next turn comes."""
        return min(source.took_at + self._settings.claim_yield,
                   self.turn_at(source))

    def yielding(self, source, now):
        """Whether ``source`` leaves its next claim to the other servers.

        Fair dispatch among the servers of a topic: Zaqar hands a message
        to whichever claim comes first, so a server that just took one
        would often take the next too. A server that took a message from
        a topic it knows is shared (``took``) claims there again only
        ``claim_yield`` seconds later, when the others had their turn --
        unless a backlog says every server is busy (more than
        ``YIELD_BACKLOG`` messages announced after the one it took; polling:
        the message it took waited ``BACKLOG_AGE``): yielding would only
        slow the topic down. Meanwhile it still reads at its turns
        (``turn_at``): the others may all yield. A server with no sign of
        a competitor yields only until it takes itself to be alone
        (``_alone``): in its first moments no sign could have come yet.
        """
        if (source.mode != 'claim' or source.took_at is None or
                source.backlog or
                # As yield_ends says it (a difference rounds otherwise:
                # a pause of 0 s until the yield ends, a busy loop).
                now >= source.took_at + self._settings.claim_yield):
            return False
        if (now >= max(source.contended_until, source.gap_until) and
                self._alone(source, now)):
            return False
        waiting = self._waiting(source)
        return len(waiting) <= YIELD_BACKLOG and now < self.turn_at(
            source, waiting)

    def _waiting(self, source):
        """When each announced message that may still wait was announced."""
        return [at for msg_id, at in source.announced.items()
                if self._may_wait(source, msg_id, at)]

    def turn_at(self, source, waiting=None):
        """When a server yielding on ``source`` reads it all the same.

        Polling: ``YIELD_TURN`` after its last read (a notification
        listener: never; its pool's other listeners, which no hello tells
        to read often, poll slowly and would never get a turn: one took
        all 8 of oslo's ``test_multiple_servers``). Push: once a message
        announced after the one it took has waited ``YIELD_TURN`` (a free
        server would have taken it by then; if one did, this read finds
        nothing and the yield is over: the others had their turn).
        """
        if not self._pushed():
            if self._notifications:
                return float('inf')
            return source.read_at + YIELD_TURN
        waiting = self._waiting(source) if waiting is None else waiting
        return min(waiting) + YIELD_TURN if waiting else float('inf')

    @staticmethod
    def _may_wait(source, msg_id, at):
        """Whether an announced message, not read here, may still wait.

        Claims take the oldest first, so what is older than the message
        this server took last was taken by another. Older: a lower number
        of a sender's stream than the last read here; with no number,
        announced before it (pushes come late under load, so a number
        is the better judge).
        """
        sequence = source.sequences.get(msg_id)
        last = source.streams.get(sequence[0]) if sequence else None
        if last is not None:
            return sequence[1] > last
        return at > source.took_mark

    def _alone(self, source, now):
        """Whether a server takes itself to be alone on a topic.

        With no sign of another server (``contended_until``, checked by
        the caller): when ``ALONE_AFTER`` messages in a row continued
        their senders' streams, or when gaps would have told it of the
        others by now (pushed, ``PUSH_LEARN`` after its start), or hellos
        (a polling RPC server, ``HELLO_LEARN`` after its start); a
        polling notification listener has no fanout queue to hear hellos
        on and sees gaps only as it reads: it is alone when a run of
        messages in a row lasted ``poll_max_interval`` + ``claim_yield``
        with no number missing (its pool's other listeners read at
        least every ``poll_max_interval``, and one that read meanwhile
        took a message of the run: a number missing here).
        """
        if source.in_order >= ALONE_AFTER:
            return True
        if self._pushed():
            return now - self._since >= PUSH_LEARN
        if self._notifications:
            settings = self._settings
            return (source.in_order >= 2 and not source.missing and
                    now - source.run_at >= settings.poll_max_interval +
                    settings.claim_yield)
        return (self._hello is not None and now - self._since >=
                HELLO_LEARN * self._settings.poll_max_interval)

    def took(self, source, messages, started, now, work=True):
        """A claim on ``source`` started at ``started`` read ``messages``.

        ``work``: False when every message read was dropped (malformed,
        foreign, a duplicate): that took no work from the other servers,
        so it does not make this one yield (a guest's junk on a shared
        topic would cost every server ``claim_yield`` a message).

        Signs that other servers claim from this topic too: an id
        announced ``STORED_AFTER`` before a claim that found nothing was
        taken by another server (Zaqar pushes just before it stores; very
        late stores make a lone server yield needlessly, nothing worse);
        so was a number of a sender's stream still missing here
        ``GAP_AFTER`` after a later one was read (``_numbers``; undone
        if it comes after all). The order of announcements says nothing:
        Zaqar pushes before it stores, so concurrent posts are announced
        in one order and stored, hence claimed, in another (a lone
        server took that for a competitor 15 times a second under load).
        """
        if source.mode != 'claim':
            return
        read = {envelope.peek_id(m) for m in messages}
        if messages and work:
            if (self._hello is not None and self._peers_known(now) and (
                    source.took_at is None or now - source.took_at >=
                    self._settings.poll_hot_window)):
                # Busy again after an idle spell: the others poll faster.
                self._hello_due, self._hello_refresh = now, False
            taken = [source.announced[i] for i in read
                     if i in source.announced]
            # Not announced yet (read before its push came): what is
            # announced from now on counts as waiting.
            source.took_at = now
            source.took_mark = max(taken) if taken else now
            ages = [m.get('age') for m in messages]
            source.backlog = not self._pushed() and any(
                isinstance(a, (int, float)) and a >= BACKLOG_AGE
                for a in ages)
        elif not messages and any(
                at <= started - STORED_AFTER
                for at in source.announced.values()):
            source.contended_until = now + CONTENDED_FOR
            source.in_order = 0
        if self._numbers(source, messages, now):
            source.gap_until = now + CONTENDED_FOR
            source.in_order = 0

    @staticmethod
    def _numbers(source, messages, now):
        """Follow the senders' streams (``sq``); True on a gap.

        A message that continues its stream (the next number, or the
        first read of a stream, whatever its number: its sender may be
        older than this server) counts towards ``ALONE_AFTER``. One that
        skips numbers awaits them: concurrent posts of one sender may be
        stored out of order, so a number counts as taken elsewhere only
        when it is still missing ``GAP_AFTER`` after it was awaited; if
        it comes after all (a post slower than that), the gaps said
        nothing (``gap_until`` is cleared).
        """
        for message in messages:
            sequence = envelope.peek_sequence(message)
            if sequence is None:
                continue
            stream, number = sequence
            last = source.streams.pop(stream, None)
            if source.missing.pop(sequence, None) is not None:
                source.streams[stream] = last
                continue        # came late, out of order
            if source.elsewhere.pop(sequence, None) is not None:
                source.streams[stream] = last
                source.gap_until = 0.0      # not taken elsewhere after all
                continue
            if last is None or number == last + 1:
                if not source.in_order:
                    source.run_at = now
                source.in_order += 1
            elif last is not None and number > last + 1:
                for n in range(last + 1, min(number, last + 1 +
                                             MAX_MISSING)):
                    source.missing[(stream, n)] = now
            source.streams[stream] = max(number, last or 0)
            while len(source.streams) > MAX_STREAMS:
                gone, _ = source.streams.popitem(last=False)
                source.missing = {k: at for k, at in source.missing.items()
                                  if k[0] != gone}
        late = [k for k, at in source.missing.items()
                if now - at >= GAP_AFTER]
        for key in late:
            del source.missing[key]
            source.elsewhere[key] = now
        while len(source.elsewhere) > MAX_MISSING:
            source.elsewhere.popitem(last=False)
        return bool(late)

    # -- hellos (polling) ------------------------------------------------

    def _peers_known(self, now):
        return any(now - at < CONTENDED_FOR for at in self._peers.values())

    def say_hello(self, now):
        """Post this server's hello on the topic's fanout queue if due.

        Best effort: a hello that fails is not retried (the next reason
        to say hello will); at most one every ``HELLO_MIN`` seconds.
        """
        if (self._hello is None or self._hello_due is None or
                now < self._hello_due):
            return
        if self._hello_at is not None and now - self._hello_at < HELLO_MIN:
            self._hello_due = self._hello_at + HELLO_MIN
            return
        self._hello_at = now
        warm, self._hello_refresh = not self._hello_refresh, False
        if self._peers_known(now):
            self._hello_due, self._hello_refresh = now + HELLO_EVERY, True
        else:
            self._hello_due = None
        try:
            self._hello(envelope.hello(self._me, warm))
        except Exception as exc:
            LOG.warning('Cannot say hello to the other servers of %s: %s',
                        [s.queue for s in self._sources], exc)

    def hear_hello(self, message):
        """``on_hello`` if ``message`` is a valid hello, else nothing."""
        if self._hello is None or not isinstance(message, dict):
            return
        try:
            body = envelope.decode(message.get('body'), ('hi',))
        except envelope.InvalidEnvelope:
            return
        self.on_hello(body['s'], self._clock(), body.get('w', True))

    def on_hello(self, server, now, warm=True):
        """Another polling server of the topic said hello.

        ``warm``: it asks for frequent reads (it started, heard of this
        server, or got busy); False: a reminder (``HELLO_EVERY``).
        """
        if self._hello is None or server == self._me:
            return
        new = server not in self._peers
        self._peers[server] = now
        self._peers.move_to_end(server)
        while len(self._peers) > MAX_PEERS:
            self._peers.popitem(last=False)
        for source in self._sources:
            if source.mode == 'claim':
                source.contended_until = max(source.contended_until,
                                             now + CONTENDED_FOR)
        if warm or new:
            self.warm_until = (now + WARM_FOR *
                               self._settings.poll_max_interval)
        if new or self._hello_due is None:
            # It learns of this server too (at most every HELLO_MIN).
            self._hello_due, self._hello_refresh = now, False
