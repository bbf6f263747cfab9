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

"""RPC servers and notification listeners: read queues, yield messages.

A listener reads several queues (``Source``). Queues with competing
consumers (topics, notification pools) are read with claims: each message
reaches one consumer. A listener writes the delete of what it claimed
before dispatching it (oslo acknowledges RPC requests before dispatch)
but does not wait for Zaqar's answer, as rabbit's acknowledgement is not
waited for either (see ``deleter``; a notification listener that waited
made two round trips a message instead of one). A claim from a
queue with competing consumers takes one message (Zaqar's claim of
several can take messages another consumer's claim holds); from a queue
with one reader, a read takes more than oslo asks for when pushes
announced more, or the previous read filled its page: the rest waits in
a buffer, so one claim and one delete serve a burst. Zaqar's
one-request ``pop`` is not safe between competing consumers (its 1 s
claim on a whole-second clock lets a concurrent pop take the same
message) and, measured, no cheaper than a claim whose delete comes later:
it is used only for a server's own queue (one reader) when a signed-URL
guest holds no grant to claim it. Fanout queues are *observed*: listed
after a marker, nothing removed, what was seen remembered. A pushed
listener claims and deletes over its websocket (``push_requests``), over
HTTP when the websocket fails one.

When to read: with push, a websocket notification names the message
(its envelope id) and wakes the listener, which reads that queue once per
announced message; a read that finds nothing (Zaqar pushes before it
stores, or a competing consumer was faster) is retried for ``push_grace``
seconds with pauses tripling from ``poll_min_interval``, and so is the
read that catches up when a subscription (re)starts; after an
announcement never found (still missing ``push_grace`` after its push,
and a read came back short since: a backlog being read still holds
it) every queue is read once more
``LATE_STORE_READ`` later (a store that late would otherwise wait for
the safety read, minutes: a call to an idle guest would time out; where
another server took it, that read costs little: one per listener every
``LATE_STORE_READ / 2`` at most); otherwise an
idle listener reads its queues about every ``push_safety_interval``
(+-25 %, so that guests started together do not read in step) in case a
push was lost -- fanout queues only if that is shorter than
``fanout_ttl`` -- reads every queue once Zaqar answers again after a
failed read, and polls while the websocket is down. Without push the
pause between reads of an idle listener grows from ``poll_min_interval`` to
``poll_max_interval`` (after ``poll_hot_window`` seconds without messages)
and drops back after a message; fanout queues are then read every
``poll_max_interval``. When Zaqar is unreachable the listener logs it
once and retries with the pauses of ``backoff.Backoff`` (from
``retry_interval`` up to ``max_retry_interval``, jittered); it never
raises out of ``poll``. A failed claim may have taken messages whose
answer was lost: they come back when its TTL passes, unannounced, so
every queue is read again then.

Fair dispatch among the servers of a topic: ``fairness``.

Everything read is hostile input: a message is checked against its
envelope schema and handled on its own (a malformed or foreign one is
logged and dropped -- it was removed from the queue when read -- and no
error leaves ``poll``: oslo's thread would stop). Duplicates (an envelope
id seen before; across the servers of a topic, ``dedupe``) and calls
older than their timeout are dropped without reply.

Threads: oslo's poll thread owns the listener and its sources; the push
thread only hands announcements over (``_Pushes``, one lock) and wakes
it (see ``ZaqarListener``).
"""

import collections
import functools
import logging
import random
import threading
import time

from oslo_messaging._drivers import base

from zaqar_trove_tests.rpc import backoff
from zaqar_trove_tests.rpc import dedupe as zdedupe
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import fairness
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.rpc import incoming as zincoming

LOG = logging.getLogger(__name__)

PAGE = 20


#: Pause (s) between reads of the fanout queue while requests wait for
#: the other servers' answers there (``dedupe``).
ASKING_PAUSE = 0.1
#: Reads after lost claims come up to this long (s) after their TTL
#: passed: guests cut off together must not read in step after an outage.
ORPHAN_SPREAD = 10.0
#: Seconds after an announcement was forgotten unfound (``push_grace``)
#: that every queue is read once more: Zaqar pushes before it stores, and
#: a stalled store (Redis busy) may come after the grace's last read. An
#: empty claim cannot tell that from another server's claim.
LATE_STORE_READ = 5.0
#: Announced ids a source remembers; a flood beyond it reads the queue
#: instead (``catch_up``).
MAX_PENDING = 1000
#: Polling, in a burst (a queue's reads fill their page): the listener
#: reads on there at once and its other queues only this often (s), not
#: after every page (a notification listener has 7 queues a target).
BURST_OTHERS_EVERY = 0.1


class Source:
    """One queue of a listener, read in one of three ways.

    ``claim`` (competing consumers): claim, dispatch, delete; ``pop`` (a
    queue with one reader): the same, or Zaqar's one-request pop when a
    signed-URL guest may not claim; ``observe`` (fanout): list after a
    marker, remove nothing.

    Owner: the listener's poll thread, for every field (``start`` primes
    an observed queue before that thread runs). The push thread never
    touches a source: its announcements wait in ``_Pushes`` until the
    poll thread takes them (``ZaqarListener._take_pushes``).

    ``queue``, ``mode``: fixed. ``more``: the last read filled its page,
    read again at once. ``pending``: envelope ids pushes announced and no
    read found yet (push mode; an id read before its push is taken is
    never added). ``catch_up``: read once more though no id is pending (a
    push named no message, a subscription (re)started, or more than
    ``MAX_PENDING`` were announced). ``hint_at``: when a push last named
    this queue; ``read_at``: when it was last read. ``refused``: Zaqar
    refused the last read (logged once). ``marker``, ``primed``,
    ``seen``: observer state.

    Fair dispatch (``fairness``): ``announced``: when each
    pending id's push came; ``sequences``: the sender's ``(stream,
    number)`` a push carried; ``took_at``: when this server last took a
    message here, ``took_mark`` when that message was announced (else
    ``took_at``); ``contended_until``: a sign of other servers counts until
    then, ``gap_until`` the same for a gap in a sender's numbers (undone
    when a number taken for gone comes after all: ``elsewhere``);
    ``backlog``: the last message taken here had waited long; ``streams``,
    ``missing``, ``in_order``: the senders' numbers read (``run_at``: when
    the run of ``in_order`` messages began).
    """

    def __init__(self, queue, mode='claim'):
        self.queue = queue
        self.mode = mode
        self.more = False
        self.pending = set()
        self.catch_up = False
        self.hint_at = 0.0
        self.read_at = 0.0
        self.refused = False
        self.marker = None
        self.primed = False
        self.seen = collections.OrderedDict()
        self.announced = {}
        self.sequences = {}
        self.took_at = None
        self.took_mark = None
        self.contended_until = 0.0
        self.gap_until = 0.0
        self.backlog = False
        self.streams = collections.OrderedDict()
        self.missing = {}
        self.elsewhere = collections.OrderedDict()
        self.in_order = 0
        self.run_at = None


class _Hint:
    """What pushes announced on one source since the poll thread looked."""

    def __init__(self):
        self.ids = {}
        self.sequences = {}
        self.catch_up = False
        self.at = 0.0


class _Pushes:
    """Announcements handed from the push thread to the poll thread.

    ``_lock`` guards ``_hints`` (``{source: _Hint}``): ``add`` runs in
    the push thread, ``take`` in the poll thread. What one source gathers
    is bounded: past ``MAX_PENDING`` ids it asks for a catch-up read.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._hints = {}

    def add(self, source, msg_id, at, sequence=None):
        """A push on ``source`` at ``at`` named ``msg_id`` (or None).

        ``sequence``: its sender's ``(stream, number)``, if it has one.
        """
        with self._lock:
            hint = self._hints.setdefault(source, _Hint())
            if msg_id is None or len(hint.ids) >= MAX_PENDING:
                hint.catch_up = True
            else:
                hint.ids.setdefault(msg_id, at)
                if sequence is not None:
                    hint.sequences[msg_id] = sequence
            hint.at = at

    def take(self):
        """``{source: _Hint}`` added since the last ``take``."""
        with self._lock:
            hints, self._hints = self._hints, {}
        return hints


class ZaqarListener(base.PollStyleListener):
    """Reads its sources for ``poll``; see the module docstring.

    Owner of the state: oslo's poll thread (``poll``), for everything but
    what follows. ``start`` and ``cleanup`` run in the thread that starts
    and ends the listener, before the poll thread reads and after it
    stopped (``_subscriptions`` is theirs alone). The push thread only
    calls ``_on_push``: ``_pushes`` (its own lock) and ``_wake``.
    ``_wake`` and ``_stopped`` are Events (``stop`` from any thread);
    ``_ids`` (``RecentIds``, its own lock) is also used by ``requeue`` in
    dispatch threads.

    :param clock: the monotonic clock of every decision (a fake in tests).
    :param wait: ``wait(seconds)`` between reads, returning early when a
        push or ``stop`` wakes the listener (default: on ``_wake``).
    """

    def __init__(self, driver, sources, notifications=False, owned=(),
                 clock=time.monotonic, wait=None):
        super().__init__()
        self.driver = driver
        self.owned = list(owned)
        self._client = driver.client
        self._settings = driver.settings
        self._sources = sources
        self._notifications = notifications
        self._kinds = (('notify',) if notifications else
                       ('call', 'cast', 'dq', 'dn', 'hi'))
        self._dupes = None
        self._buffer = collections.deque()
        self._clock = clock
        self._wait = wait or self._wait_for_wake
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._pushes = _Pushes()
        self._subscriptions = []
        self._ids = zincoming.RecentIds(clock=clock)
        self._interval = self._settings.poll_min_interval
        self._grace = self._settings.poll_min_interval
        self._active_at = 0.0
        self._next_full = 0.0
        self._extra_reads = []
        self._failures = None
        self._error_delay = 0.0
        self._failing = False
        self._next = 0
        self._push = None
        self._since = 0.0
        self._fair = fairness.FairDispatch(self._settings, clock,
                                           self._pushed, sources,
                                           notifications)
        self._regular_at = 0.0
        self._every_queue_at = 0.0

    def start(self, push=None):
        """Prepare the queues (best effort) and subscribe them for push."""
        self._push = push
        self._since = self._clock()
        fanout = [s for s in self._sources if s.mode == 'observe']
        hello = None
        if fanout and not self._notifications:
            self._dupes = zdedupe.Duplicates(
                self._fanout_poster(fanout[0].queue),
                2 * self._settings.poll_max_interval + zdedupe.MARGIN)
            if push is None and any(s.mode == 'claim'
                                    for s in self._sources):
                # Polling servers of a topic say hello (fair dispatch);
                # the hellos a fanout queue holds at start are heard.
                hello = self._fanout_poster(fanout[0].queue)
        self._fair.start(self._since, hello)
        for source in self._sources:
            try:
                if source.mode == 'observe':
                    self._prime(source)
                elif self._settings.auth_mode != 'signed':
                    self._client.ensure_queue(source.queue)
            except errors.ZaqarError as exc:
                LOG.warning('Cannot prepare queue %s yet (%s); will retry',
                            source.queue, exc)
        if push is not None:
            for source in self._sources:
                callback = functools.partial(self._on_push, source)
                self._subscriptions.append((source.queue, callback))
                push.subscribe(source.queue, callback)

    def _fanout_poster(self, queue):
        """Posts to the topic's fanout queue, or None if we may not."""
        if (self._settings.auth_mode == 'signed' and
                self.driver.auth.grant(queue, 'POST') is None):
            return None
        return functools.partial(self._post_fanout, queue)

    def _post_fanout(self, queue, body):
        self.driver.post(queue, [body], self._settings.fanout_ttl, retry=2)

    @property
    def queues(self):
        return [source.queue for source in self._sources]

    def _on_push(self, source, body):
        """In the push thread: a message was pushed (None: catch up)."""
        message = {'body': body}
        self._pushes.add(source, envelope.peek_id(message), self._clock(),
                         envelope.peek_sequence(message))
        self._wake.set()

    def _take_pushes(self):
        """Apply what pushes announced since the last look (poll thread)."""
        for source, hint in self._pushes.take().items():
            ids = {i: at for i, at in hint.ids.items() if i not in self._ids}
            if not ids and not hint.catch_up:
                continue        # read before its push was taken
            if len(source.pending) + len(ids) > MAX_PENDING:
                source.catch_up = True
            else:
                source.pending |= set(ids)
                for msg_id, at in ids.items():
                    source.announced.setdefault(msg_id, at)
                    if msg_id in hint.sequences:
                        source.sequences[msg_id] = hint.sequences[msg_id]
            source.catch_up = source.catch_up or hint.catch_up
            source.hint_at = hint.at
            self._grace = self._settings.poll_min_interval

    # -- oslo's PollStyleListener ----------------------------------------

    def poll(self, timeout=None, batch_size=1, batch_timeout=None):
        batch_size = max(1, batch_size or 1)
        now = self._clock()
        deadline = None if timeout is None else now + timeout
        batch_end = None
        result = []
        while True:
            while self._buffer and len(result) < batch_size:
                result.append(self._buffer.popleft())
            now = self._clock()
            if result and batch_end is None:
                batch_end = now + (batch_timeout or 0)
            if (len(result) >= batch_size or self._stopped.is_set() or
                    (result and now >= batch_end) or
                    (deadline is not None and now >= deadline)):
                return result
            if self._fetch_safely(batch_size - len(result)):
                continue
            pause = self._pause()
            for end in (deadline, batch_end if result else None):
                if end is not None:
                    pause = min(pause, max(0.0, end - now))
            self._wait(pause)

    def _wait_for_wake(self, pause):
        self._wake.wait(pause)
        self._wake.clear()

    def stop(self):
        self._stopped.set()
        self._wake.set()

    def cleanup(self):
        for queue, callback in self._subscriptions:
            self._push.unsubscribe(queue, callback)
        self.driver.forget_listener(self)

    # -- reading ---------------------------------------------------------

    def _pushed(self):
        return self._push is not None and self._push.healthy

    def _due(self, now):
        """The sources to read now (see the module docstring)."""
        settings = self._settings
        pushed = self._pushed()
        full = not pushed or now >= self._next_full
        if (not pushed and now < self._regular_at and
                now - self._active_at >= settings.poll_hot_window):
            full = False        # woken early to read the topic (warm)
        if (full and not pushed and any(s.more for s in self._sources) and
                now - self._every_queue_at < BURST_OTHERS_EVERY):
            full = False        # a burst: read on where a page filled
        warm = not pushed and now < self._fair.warm_until
        extra = bool(self._extra_reads) and now >= self._extra_reads[0]
        if extra:
            full = True
            self._extra_reads = [t for t in self._extra_reads if t > now]
        # A read that finds what nothing announces (a lost claim's
        # messages, a late store, a lost push) reads a topic even while it
        # yields: the next one may be far.
        scheduled = extra or (full and pushed)
        if full and not pushed:
            self._every_queue_at = now
        if full and pushed:
            # Spread: guests started together must not read in step.
            self._next_full = now + settings.push_safety_interval * \
                random.uniform(0.75, 1.25)
        # A safety read of a fanout queue is useless once its messages
        # may have expired.
        observe = settings.push_safety_interval < settings.fanout_ttl
        # Requests wait for the other servers' answers on the fanout
        # queue: read it at every turn meanwhile.
        asking = self._dupes is not None and self._dupes.waiting
        due = []
        for source in self._sources:
            # An announcement is forgotten push_grace after it came, once
            # the queue was read to its end since (not while reads fail,
            # nor while a backlog is read): another server took what this
            # one never found, or its store is late.
            if (pushed and source.read_at >= source.hint_at and
                    not source.more and
                    now - source.hint_at >= settings.push_grace):
                if source.pending:
                    self._read_late(now)
                    self._fair.never_found(source, now)
                source.pending.clear()
                source.announced.clear()
                source.sequences.clear()
            if not scheduled and self._fair.yielding(source, now):
                continue
            if source.more or (pushed and (source.pending or
                                           source.catch_up)) or (
                    asking and source.mode == 'observe'):
                due.append(source)
            elif source.mode == 'observe' and not pushed:
                if now - source.read_at >= settings.poll_max_interval:
                    due.append(source)
            elif full and (observe or not pushed or
                           source.mode != 'observe'):
                due.append(source)
            elif warm and source.mode == 'claim':
                due.append(source)
        return due

    def _pause(self):
        pause = self._idle_pause()
        if self._dupes is not None and self._dupes.waiting:
            wait = self._dupes.next_at() - self._clock()
            pause = min(pause, ASKING_PAUSE, max(0.0, wait))
        return pause

    def _idle_pause(self):
        now = self._clock()
        if self._error_delay:
            return self._error_delay
        yielding = [s for s in self._sources if self._fair.yielding(s, now)]
        if any(s.more for s in self._sources if s not in yielding):
            # The last read filled its page, with messages that were all
            # dropped (stale or malformed): what follows is read at once.
            return 0.0
        if yielding:
            # Read again when the first yield or turn ends (or a push comes).
            end = min(self._fair.yield_ends(s) for s in yielding)
            return max(0.0, min(end - now, self._busy_pause(now)))
        return self._busy_pause(now)

    def _busy_pause(self, now):
        settings = self._settings
        if self._pushed():
            if any(s.pending and now - s.hint_at < settings.push_grace
                   for s in self._sources) or any(
                       s.catch_up for s in self._sources):
                pause, self._grace = self._grace, self._grace * 3
                return pause
            return max(0.0, min([self._next_full] +
                                self._extra_reads[:1]) - now)
        if now - self._active_at < settings.poll_hot_window:
            return settings.poll_min_interval
        if now >= self._regular_at:
            # The regular read (every queue) was done: the next one.
            pause = self._interval
            self._interval = min(pause * 2, settings.poll_max_interval)
            self._regular_at = now + pause
        else:
            pause = self._regular_at - now
        if settings.claim_yield and now < self._fair.warm_until:
            # Another server of the topic said hello: read the topic
            # (only) every claim_yield, to find what a yielding server
            # leaves; the other queues keep their pace.
            pause = min(pause, settings.claim_yield)
        return max(0.0, pause)

    def _fetch_safely(self, wanted):
        """``_fetch``; an unexpected error is logged, never raised.

        oslo's poll thread dies on an exception: the server would stop.
        """
        try:
            return self._fetch(wanted)
        except Exception:
            self._failed()
            LOG.exception('Unexpected error reading queues %s; going on in '
                          '%.1f s', self.queues, self._error_delay)
            return 0

    def _failed(self):
        """A read failed: the next pause comes from the backoff."""
        if self._failures is None:
            self._failures = backoff.Backoff(
                self._settings.retry_interval,
                self._settings.max_retry_interval, clock=self._clock)
        self._error_delay = self._failures.next()

    def _fetch(self, wanted):
        self._take_pushes()
        found = self._release_held()
        now = self._clock()
        self._fair.say_hello(now)
        pushed = self._pushed()
        due = self._due(now)
        if due:
            # Go on from the source after the last one read (fairness).
            first = next((i for i, s in enumerate(due)
                          if self._sources.index(s) >= self._next), 0)
            due = due[first:] + due[:first]
        failed = False
        for source in due:
            self._next = (self._sources.index(source) + 1) % len(
                self._sources)
            want = self._batch(source, wanted - found)
            started = self._clock()
            try:
                messages = self._read(source, want)
            except errors.Unreachable as exc:
                self._unreachable(exc)
                failed = True
                if source.mode != 'observe':
                    self._claim_lost()
                break
            except errors.ZaqarError as exc:
                if not source.refused:
                    LOG.error('Zaqar refuses reading queue %s: %s; retrying '
                              'with backoff', source.queue, exc)
                source.refused = failed = True
                continue
            self._reachable(source)
            source.read_at = now
            read = {envelope.peek_id(m) for m in messages}
            announced = pushed and read <= source.pending
            if pushed and not announced:
                self._check_lag(source, messages)
            accepted = [i for i in (self._accept_safely(source, m)
                                    for m in messages) if i is not None]
            self._fair.took(source, messages, started, self._clock(),
                            work=bool(accepted))
            source.pending -= read
            for msg_id in read:
                source.announced.pop(msg_id, None)
                source.sequences.pop(msg_id, None)
            # A catch-up read that found nothing is repeated for
            # push_grace, as an announced message not found (on a fanout
            # queue too): Zaqar pushes before it stores, so a message
            # posted as the subscription began may be stored just after
            # the read.
            source.catch_up = (source.catch_up and not messages and
                               now - source.hint_at <
                               self._settings.push_grace)
            # Read on at once after a full page, unless it held just what
            # pushes announced and nothing announced is left (then the next
            # push says when to read); a burst is read to its end even
            # when its announcements are forgotten.
            source.more = (source.mode != 'observe' and
                           len(messages) >= want and
                           not (announced and not source.pending))
            self._buffer.extend(accepted)
            found += len(accepted)
            if found >= wanted:
                break
        if failed:
            self._failed()
            # Announced messages are forgotten after push_grace, and Zaqar
            # may have lost pushes meanwhile: the first read that works
            # reads every queue.
            self._next_full = 0.0
        elif due:
            self._failures, self._error_delay = None, 0.0
        if found:
            self._interval = self._settings.poll_min_interval
            self._active_at = self._clock()
        return found

    def _release_held(self):
        """Marked requests nobody else ran, once their window passed."""
        if self._dupes is None:
            return 0
        now = self._clock()
        released = 0
        for incoming in self._dupes.due(now):
            if incoming.deadline is not None and incoming.deadline <= now:
                LOG.info('Dropped call %s unexecuted: its caller gave up '
                         'while the servers of its topic were asked',
                         incoming.msg_id)
                continue
            self._buffer.append(incoming)
            released += 1
        return released

    @staticmethod
    def _batch(source, wanted):
        """How many messages to read from ``source`` at once.

        One from a queue with competing consumers: Zaqar's claim of
        several messages, once it found a free one, also takes those
        behind it that another live claim holds (README, Findings:
        claim-steals-claimed), so two servers would run one request; a
        claim of one message stops at the first free one. From a queue
        with one reader, more than oslo asks for when pushes announced
        more, or the last read filled its page: the rest waits in the
        buffer, already taken, and one claim (and one delete) serves them
        all.
        """
        if source.mode == 'observe':
            return PAGE
        if source.mode == 'claim':
            return 1
        if source.more:
            return PAGE
        return min(PAGE, max(1, wanted, len(source.pending)))

    def _check_lag(self, source, messages):
        """Report a lag if a message read waited long unannounced.

        A message with no plausible id is no evidence: its push could
        not name it (a guest's junk).
        """
        for message in messages:
            msg_id = envelope.peek_id(message)
            if (msg_id is not None and msg_id not in source.pending and
                    self._push.is_lag(message.get('age'), self._since)):
                self._push.report_lag(source.queue, message.get('age'))
                return

    def _read(self, source, want):
        if source.mode == 'observe':
            return self._observe(source)
        if source.mode == 'pop' and not self._may_claim(source):
            return self._client.pop(source.queue, want)
        # A queue with one reader is claimed too when it may be: Zaqar's
        # pop costs as much as a claim and a delete, its empty read half
        # as much again as an empty claim, and the delete comes later.
        claimed_at = self._clock()
        messages = self._claim(source, want)
        ids = [m['id'] for m in messages
               if isinstance(m, dict) and isinstance(m.get('id'), str)]
        if not ids:
            return messages
        self.driver.deleter().add(source.queue, ids,
                                  claimed_at + httpclient.CLAIM_TTL)
        return messages

    def _over_websocket(self):
        return self._push is not None and self._settings.push_requests

    @staticmethod
    def _websocket_failed(what, exc):
        LOG.debug('%s over the websocket failed (%s); over HTTP', what, exc)

    def _claim(self, source, want):
        """Claim over the open websocket when pushed, else over HTTP."""
        if self._over_websocket():
            try:
                return self._push.claim(source.queue, want,
                                        httpclient.CLAIM_TTL,
                                        httpclient.CLAIM_GRACE)
            except errors.ZaqarError as exc:
                self._websocket_failed('A claim', exc)
                if getattr(exc, 'sent', False):
                    # Left unanswered, it may still reach Zaqar when the
                    # websocket's path heals.
                    self._claim_lost(held=True)
        return self._client.claim(source.queue, want)

    def _may_claim(self, source):
        return (self._settings.auth_mode != 'signed' or
                self.driver.auth.grant(source.queue, 'POST', 'claims')
                is not None)

    def _unreachable(self, exc):
        if not self._failing:
            LOG.warning('Zaqar unreachable for listener on %s: %s; '
                        'retrying with backoff', self.queues, exc)
        self._failing = True

    def _claim_lost(self, held=False):
        """Read every queue once a lost claim's TTL has passed.

        A claim whose answer was lost holds what it took, unannounced,
        until its TTL passes. ``held``: a broken path may hold the request
        and deliver it when it heals, now or (TCP retransmits with growing
        pauses) later: read once more a TTL later. Spread over
        ``ORPHAN_SPREAD``.
        """
        now = self._clock()
        for after in (0.0, httpclient.CLAIM_TTL) if held else (0.0,):
            self._extra_reads.append(now + after + httpclient.CLAIM_TTL +
                                     1 + random.uniform(0, ORPHAN_SPREAD))
        self._extra_reads.sort()

    def _read_late(self, now):
        """Read every queue ``LATE_STORE_READ`` from ``now``.

        Not if a read of every queue comes in the second half of that
        already: a guest posting what it then deletes costs one read of
        each queue per half ``LATE_STORE_READ`` at most.
        """
        at = now + LATE_STORE_READ
        if not any(at - LATE_STORE_READ / 2 <= t <= at
                   for t in self._extra_reads):
            self._extra_reads.append(at)
            self._extra_reads.sort()

    def _reachable(self, source):
        if self._failing:
            LOG.info('Zaqar reachable again for listener on %s', self.queues)
            # Claims a broken path held (a partition) are made as it heals.
            self._claim_lost(held=True)
        if source.refused:
            LOG.info('Queue %s can be read again', source.queue)
        self._failing = source.refused = False

    def _prime(self, source):
        """Skip what an observed queue holds now (it predates us).

        But for hellos: the servers that said hello before this one
        started are on its topic still (they say it again every
        ``HELLO_EVERY``).
        """
        while True:
            messages, source.marker = self._client.list(source.queue,
                                                        source.marker, PAGE)
            self._remember(source, messages)
            for message in messages:
                self._fair.hear_hello(message)
            if len(messages) < PAGE:
                break
        source.primed = True

    def _remember(self, source, messages):
        now = self._clock()
        fresh = []
        for message in messages:
            if message.get('id') not in source.seen:
                source.seen[message.get('id')] = now
                fresh.append(message)
        horizon = now - self._settings.fanout_ttl - 120
        while source.seen and next(iter(source.seen.values())) < horizon:
            source.seen.popitem(last=False)
        return fresh

    def _observe(self, source):
        if not source.primed:
            self._prime(source)
            return []
        fresh = []
        while True:
            messages, source.marker = self._client.list(source.queue,
                                                        source.marker, PAGE)
            fresh.extend(self._remember(source, messages))
            if len(messages) < PAGE:
                return fresh

    def _accept_safely(self, source, message):
        """``_accept``; an unexpected error costs this message only."""
        try:
            return self._accept(source, message)
        except Exception:
            LOG.exception('Dropped message %s from queue %s: unexpected '
                          'error', envelope.peek_id(message), source.queue)
            return None

    def _accept(self, source, message):
        try:
            body = envelope.decode(message.get('body'), self._kinds)
        except envelope.InvalidEnvelope as exc:
            LOG.warning('Dropped a malformed or foreign message %s from '
                        'queue %s: %s', message.get('id'), source.queue, exc)
            return None
        if body['k'] == 'hi':
            if source.mode == 'observe':
                self._fair.on_hello(body['s'], self._clock(),
                                    body.get('w', True))
            else:
                LOG.warning('Dropped a hi envelope from queue %s: only '
                            'fanout queues carry them', source.queue)
            return None
        if body['k'] in ('dq', 'dn'):
            if source.mode == 'observe' and self._dupes is not None:
                self._dupes.on_fanout(body)
            else:
                LOG.warning('Dropped a %s envelope from queue %s: only '
                            'fanout queues carry them', body['k'],
                            source.queue)
            return None
        if not self._ids.add(body['id']):
            LOG.debug('Dropped duplicate %s from %s', body['id'],
                      source.queue)
            return None
        age = message.get('age')
        age = age if isinstance(age, (int, float)) else 0
        if envelope.expired(body, age):
            LOG.info('Dropped call %s from %s unexecuted: its caller has '
                     'given up (older than its timeout)', body['mid'],
                     source.queue)
            return None
        if self._notifications:
            return zincoming.NotificationIncoming(self, body, source.queue)
        left = envelope.remaining(body, age)
        incoming = zincoming.RpcIncoming(
            self, body, None if left is None else self._clock() + left)
        if self._dupes is None:
            return incoming
        if source.mode == 'claim' and self._dupes.hold(body, incoming,
                                                       self._clock()):
            LOG.info('Request %s from %s was posted twice: asking the '
                     'other servers of the topic first', body['id'],
                     source.queue)
            return None
        self._dupes.ran(body['id'])
        return incoming

    def requeue(self, queue, body):
        """Post a notification back to ``queue`` (it may come back here)."""
        self._ids.discard(body['id'])
        try:
            self.driver.post(queue, [body], self._settings.message_ttl,
                             retry=3)
        except Exception as exc:
            LOG.error('Cannot requeue notification %s to %s: %s',
                      body['id'], queue, exc)
