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

"""The reply queue of one driver instance and its single waiter thread.

Callers register a call (``listen``: its ``msg_id`` and reply key), post
their request, and ``wait``: replies and heartbeats reach the caller
waiting for their ``msg_id`` only if they carry that call's reply key, a
secret that only the call's target received; anything else (malformed,
for a call that ended, a guessed or leaked ``msg_id`` without its key,
a replay) is logged or counted and dropped. What one call keeps is
bounded: its first reply and a heartbeat count.

The reply queue has one reader, so with push the pushed body is used as
is (the push thread hands it to the caller directly); the waiter thread
then empties the queue (claim, deliver, delete) once pushes pause, to
delete what was delivered and to pick up anything a lost push missed
(duplicates are recognised by envelope id). Without push the thread polls
only while calls are outstanding, pausing from ``poll_min_interval`` up to
``poll_max_interval``, and sleeps otherwise. The thread survives any
input and any error: a read that fails is logged and retried after the
pauses of ``backoff.Backoff`` -- while calls wait, no longer than
``poll_max_interval`` nor a quarter of a ``call_monitor_timeout``.

Servers may hold no credentials of this project (another project, or only
signed URLs) and must never answer with their own credentials to a queue
a request names: each call carries a pre-signed, POST-only grant of the
reply queue that expires ``reply_grant_margin`` to twice that after the
call's own deadline (``Grants``); a guest keeps nothing useful once its
call is over.

Shared state: ``_calls_lock`` guards ``_calls`` (callers add and remove
calls, the push and waiter threads look them up); each ``_Call``'s
``cond`` guards its reply and heartbeat count; ``_inbox`` (a
``queue.Queue``) carries items to the waiter thread, which owns every
other field; ``_seen`` (``RecentIds``) has its own lock; ``Grants`` has
its own lock, never held during a request.
"""

import datetime
import hmac
import logging
import math
import queue
import threading
import time

from oslo_messaging._drivers import common
from oslo_messaging import exceptions as om_exc

from zaqar_trove_tests.rpc import auth as zauth
from zaqar_trove_tests.rpc import backoff
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import incoming as zincoming
from zaqar_trove_tests.rpc import names

LOG = logging.getLogger(__name__)

PAGE = 20
_KICK = object()
_STOP = object()
_PUSHED = object()
_DRAIN_DELAY = 0.5
_DRAIN_EVERY = 1.0


class _Call:
    """One call in flight: its key, first reply, heartbeat count."""

    def __init__(self, reply_key, monitor=None):
        self.reply_key = reply_key
        self.monitor = monitor
        self.cond = threading.Condition()
        self.reply = None
        self.beats = 0

    def deliver(self, body):
        with self.cond:
            if body['k'] == 'hb':
                self.beats += 1
            elif self.reply is None:
                self.reply = body
            self.cond.notify_all()


class _Mint:
    """A grant being minted by one caller; others wait for it."""

    def __init__(self):
        self.done = threading.Event()
        self.grant = None
        self.error = None


class Grants:
    """Short-lived POST grants of one reply queue, shared by bucket.

    A call whose deadline is ``d`` (epoch s) carries a grant expiring at
    the first multiple of ``margin`` at or after ``d + margin``: calls
    ending within the same ``margin`` seconds share one grant (one
    ``share`` request per ``margin`` seconds of calls), and none outlives
    its call by more than ``2 * margin``. Zaqar checks the expiry with
    its own clock: ``margin`` covers the skew between the caller's clock
    and Zaqar's.
    """

    def __init__(self, client, queue_name, margin):
        self._client = client
        self._queue = queue_name
        self._margin = margin
        self._lock = threading.Lock()
        self._mints = {}

    def expiry(self, deadline):
        """The expiry (epoch s) of the grant of a call ending ``deadline``."""
        return math.ceil((deadline + self._margin) / self._margin) * \
            self._margin

    def get(self, deadline, timeout):
        """The grant for a call ending at ``deadline`` (epoch s).

        Mints it (one request, no lock held) or waits up to ``timeout``
        for the caller minting it.

        :raises: ``errors.ZaqarError`` (``Unreachable`` on timeout).
        """
        expires = self.expiry(deadline)
        now = time.time()
        with self._lock:
            for old in [e for e in self._mints if e <= now]:
                del self._mints[old]
            mint = self._mints.get(expires)
            mine = mint is None
            if mine:
                mint = self._mints[expires] = _Mint()
        if mine:
            self._mint(mint, expires, timeout)
        elif not mint.done.wait(max(0.0, timeout)):
            raise errors.Unreachable('reply grant not minted in time')
        if mint.error is not None:
            raise mint.error
        return mint.grant

    def _mint(self, mint, expires, timeout):
        text = datetime.datetime.fromtimestamp(
            expires, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
        try:
            grant = self._client.share(self._queue, ['messages'], ['POST'],
                                       text, timeout=max(0.05, timeout))
            if not zauth.valid_grant(grant):
                raise errors.Unreachable('Zaqar answered an unusable '
                                         'reply grant')
            mint.grant = grant
        except errors.ZaqarError as exc:
            mint.error = exc
            with self._lock:
                # The next caller tries again.
                if self._mints.get(expires) is mint:
                    del self._mints[expires]
        finally:
            mint.done.set()


class ReplyWaiter:
    """Owns the reply queue; created by the driver on the first call.

    :param timeout: at most this long (s) for creating the queue (the
        first caller's time left).
    :param clock: the monotonic clock of every decision (callers'
        deadlines are on it).
    :param thread: False: no waiter thread (tests drive ``_step``).
    """

    def __init__(self, driver, timeout=None, clock=time.monotonic,
                 thread=True):
        self._client = driver.client
        self._settings = driver.settings
        self._allowed = driver.allowed_remote_exmods
        self._push = driver.push
        self._clock = clock
        self.queue = names.reply_queue(self._settings.queue_prefix,
                                       envelope.new_id())
        self.grants = Grants(self._client, self.queue,
                             self._settings.reply_grant_margin)
        self._calls_lock = threading.Lock()
        self._calls = {}
        self._inbox = queue.Queue()
        self._seen = zincoming.RecentIds(clock=clock)
        self._since = clock()
        # The waiter thread's own.
        self._active_at = 0.0
        self._interval = self._settings.poll_min_interval
        self._dirty_since = None
        self._failures = None
        self._retry_at = None
        self._client.ensure_queue(self.queue, timeout=timeout)
        if self._push is not None:
            self._push.subscribe(self.queue, self._on_push)
        self._thread = None
        if thread:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name='zaqar-reply-waiter')
            self._thread.start()

    # -- callers ---------------------------------------------------------

    def listen(self, msg_id, reply_key, call_monitor_timeout=None):
        with self._calls_lock:
            self._calls[msg_id] = _Call(reply_key, call_monitor_timeout)
        self._inbox.put(_KICK)

    def unlisten(self, msg_id):
        with self._calls_lock:
            self._calls.pop(msg_id, None)

    def _call(self, msg_id):
        with self._calls_lock:
            return self._calls.get(msg_id)

    def _monitors(self):
        with self._calls_lock:
            return [c.monitor for c in self._calls.values() if c.monitor]

    def _waiting(self):
        with self._calls_lock:
            return bool(self._calls)

    def wait(self, msg_id, deadline):
        """The result of call ``msg_id``; ``deadline`` is monotonic.

        :raises: MessagingTimeout, or the remote exception.
        """
        call = self._call(msg_id)
        monitor = call.monitor or None
        with call.cond:
            beats = call.beats
            alive_until = self._clock() + monitor if monitor else None
            while call.reply is None:
                now = self._clock()
                if call.beats != beats:
                    LOG.debug('Call-monitor heartbeat for %s', msg_id)
                    beats = call.beats
                    if monitor:
                        alive_until = now + monitor
                limit = deadline - now
                if alive_until is not None:
                    limit = min(limit, alive_until - now)
                if limit <= 0:
                    what = ('no heartbeat from the server for %ss' % monitor
                            if alive_until is not None and
                            alive_until < deadline else 'timed out')
                    raise om_exc.MessagingTimeout(
                        'Timed out waiting for a reply to message ID %s (%s)'
                        % (msg_id, what))
                call.cond.wait(limit)
            body = call.reply
        if body.get('fail'):
            raise common.deserialize_remote_exception(body['fail'],
                                                      self._allowed)
        return body.get('res')

    def stop(self):
        """Stop the thread and delete the reply queue (best effort)."""
        if self._push is not None:
            self._push.unsubscribe(self.queue, self._on_push)
        self._inbox.put(_STOP)
        if self._thread is not None:
            self._thread.join(10)
        try:
            self._client.delete_queue(self.queue)
        except errors.ZaqarError as exc:
            LOG.warning('Could not delete reply queue %s: %s', self.queue,
                        exc)

    def _on_push(self, body):
        """In the push thread: hand a pushed reply to its caller at once.

        The waiter thread only hears of it, to drain the queue later;
        ``None`` (a subscription (re)started) asks it to drain now.
        """
        if body is None:
            self._inbox.put(None)
            return
        self._deliver(body)
        self._inbox.put(_PUSHED)

    # -- the waiter thread ----------------------------------------------

    def _run(self):
        while self._step(self._inbox_wait(self._wait_time())):
            pass

    def _step(self, item):
        """One turn for ``item`` (None: the wait ended); False: stop."""
        if item is _STOP:
            return False
        now = self._clock()
        if item is _KICK:
            self._active_at = now
            self._interval = self._settings.poll_min_interval
            return True
        if item is _PUSHED:
            if self._dirty_since is None:
                self._dirty_since = now
            if now - self._dirty_since < _DRAIN_EVERY:
                return True
        self._drain_safely()
        self._dirty_since = None
        return True

    def _drain_safely(self):
        """``_drain``; no error ends the thread.

        Every later call would wait for replies nobody reads.
        """
        try:
            self._drain()
        except Exception as exc:
            if self._failures is None:
                self._failures = backoff.Backoff(
                    self._settings.retry_interval,
                    self._settings.max_retry_interval, clock=self._clock)
            pause = self._failures.next()
            self._retry_at = self._clock() + pause
            if isinstance(exc, errors.ZaqarError):
                LOG.warning('Cannot read reply queue %s: %s; retrying in '
                            '%.1f s', self.queue, exc, pause)
            else:
                LOG.exception('Unexpected error reading reply queue %s; '
                              'going on in %.1f s', self.queue, pause)
        else:
            self._failures = self._retry_at = None

    def _wait_time(self):
        """How long to wait for an item (s; None: until one comes)."""
        pushed = self._push is not None and self._push.healthy
        waiting = self._waiting()
        if pushed:
            # Calls in flight: drain now and then in case pushes lag.
            timeout = (_DRAIN_DELAY if self._dirty_since is not None else
                       self._settings.poll_max_interval if waiting
                       else self._settings.push_safety_interval)
        else:
            timeout = self._poll_pause() if waiting else None
        if timeout is not None and self._retry_at is not None:
            # Reading failed: not before the backoff's pause, yet in time
            # for the replies and heartbeats of the calls that wait.
            timeout = max(timeout, self._retry_at - self._clock())
            if waiting:
                timeout = min(timeout, self._longest_pause())
        return timeout

    def _longest_pause(self):
        """The longest pause between reads while calls wait.

        Heartbeats of call_monitor_timeout must be read in time.
        """
        return min([self._settings.poll_max_interval] +
                   [m / 4.0 for m in self._monitors()])

    def _inbox_wait(self, timeout):
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def _poll_pause(self):
        settings = self._settings
        if self._clock() - self._active_at < settings.poll_hot_window:
            return settings.poll_min_interval
        pause = self._interval
        self._interval = min(pause * 1.5, settings.poll_max_interval)
        return min(pause, self._longest_pause())

    def _drain(self):
        got = 0
        while True:
            # Claim, deliver, then delete: an empty claim costs Zaqar two
            # thirds of an empty pop, and the queue is mostly empty. What
            # is delivered twice (a delete lost) is recognised by its id.
            messages = self._client.claim(self.queue, PAGE)
            for message in messages:
                if not isinstance(message, dict):
                    continue
                if not self._deliver(message.get('body')):
                    continue
                got += 1
                if (self._push is not None and
                        self._push.is_lag(message.get('age'), self._since)):
                    self._push.report_lag(self.queue, message.get('age'))
            ids = [m['id'] for m in messages
                   if isinstance(m, dict) and isinstance(m.get('id'), str)]
            if ids:
                self._client.delete(self.queue, ids)
            if got:
                self._active_at = self._clock()
                self._interval = self._settings.poll_min_interval
            if len(messages) < PAGE:
                return got

    def _deliver(self, body):
        """Hand ``body`` to its caller; False if it was dropped."""
        try:
            body = envelope.decode(body, ('reply', 'hb'))
        except envelope.InvalidEnvelope as exc:
            LOG.warning('Dropped a malformed or foreign message from reply '
                        'queue %s: %s', self.queue, exc)
            return False
        if not self._seen.add(body['id']):
            return False
        call = self._call(body['mid'])
        if call is None:
            LOG.debug('Dropped a reply to %s: nobody waits for it',
                      body['mid'])
            return False
        if not hmac.compare_digest(call.reply_key, body['rk']):
            LOG.warning('Dropped a reply to %s from reply queue %s with the '
                        'wrong reply key: forged', body['mid'], self.queue)
            return False
        call.deliver(body)
        return True
