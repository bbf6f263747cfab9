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

Callers register a ``msg_id`` (``listen``), post their request, and
``wait``: the waiter thread hands each reply to the caller waiting for its
``msg_id``; heartbeats restart the caller's call-monitor timer. Replies to
nobody (the caller gave up) are dropped.

The reply queue has one reader, so with push the pushed body is used as
is (no read before delivery; the push thread hands it to the caller
directly); the waiter thread then empties the queue (claim and delete) once
pushes pause, to delete what was delivered and to pick up anything a lost
push missed (duplicates are recognised by envelope id). Without push the
thread polls only while calls are outstanding, pausing from
``poll_min_interval`` up to ``poll_max_interval``, and sleeps otherwise.

With ``reply_grants`` the caller also creates a pre-signed POST URL for
the reply queue and sends it with each call, so a server that holds no
credentials of this project (another project, or only signed URLs) can
reply — it can post to this queue, not read it.
"""

import datetime
import logging
import queue
import threading
import time
import uuid

from oslo_messaging._drivers import common
from oslo_messaging import exceptions as om_exc

from zaqar_trove_tests.rpc import auth as zauth
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import incoming as zincoming
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.rpc import names

LOG = logging.getLogger(__name__)

_KICK = object()
_STOP = object()
_PUSHED = object()
_DRAIN_DELAY = 0.5
_DRAIN_EVERY = 1.0


class ReplyWaiter:
    """Owns the reply queue; created by the driver on the first call.

    ``timeout``: at most this long (s) for creating the queue (the first
    caller's time left).
    """

    def __init__(self, driver, timeout=None):
        self._driver = driver
        self._client = driver.client
        self._settings = driver.settings
        self._allowed = driver.allowed_remote_exmods
        self._push = driver.push
        self.queue = names.reply_queue(self._settings.queue_prefix,
                                       uuid.uuid4().hex)
        self._waiters = {}
        self._monitors = {}
        self._active_at = 0.0
        self._interval = self._settings.poll_min_interval
        self._inbox = queue.Queue()
        self._seen = zincoming.RecentIds()
        self._grant = None
        self._grant_until = 0.0
        self._grant_retry = 0.0
        self._grant_lock = threading.Lock()
        self._since = time.monotonic()
        self._client.ensure_queue(self.queue, timeout=timeout)
        if self._push is not None:
            self._push.subscribe(self.queue, self._on_push)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='zaqar-reply-waiter')
        self._thread.start()
        self.grant()

    # -- callers ---------------------------------------------------------

    def listen(self, msg_id, call_monitor_timeout=None):
        self._waiters[msg_id] = queue.Queue()
        if call_monitor_timeout:
            self._monitors[msg_id] = call_monitor_timeout
        self._inbox.put(_KICK)

    def unlisten(self, msg_id):
        self._waiters.pop(msg_id, None)
        self._monitors.pop(msg_id, None)

    def wait(self, msg_id, deadline, call_monitor_timeout=None):
        """The result of call ``msg_id``; ``deadline`` is monotonic.

        :raises: MessagingTimeout, or the remote exception.
        """
        replies = self._waiters[msg_id]
        monitor = call_monitor_timeout or None
        alive_until = time.monotonic() + monitor if monitor else None
        while True:
            now = time.monotonic()
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
            try:
                body = replies.get(timeout=limit)
            except queue.Empty:
                continue
            if body['k'] == 'hb':
                LOG.debug('Call-monitor heartbeat for %s', msg_id)
                if monitor:
                    alive_until = time.monotonic() + monitor
                continue
            if body.get('fail'):
                raise common.deserialize_remote_exception(body['fail'],
                                                          self._allowed)
            return body.get('res')

    def grant(self):
        """A pre-signed POST grant of the reply queue, or None."""
        if (not self._settings.reply_grants or
                self._settings.auth_mode == 'signed'):
            return None
        now = time.time()
        lifetime = self._settings.reply_grant_lifetime
        with self._grant_lock:
            if self._grant_until - now > lifetime / 4 or \
                    now < self._grant_retry:
                return self._grant
            expires = (datetime.datetime.now(datetime.timezone.utc) +
                       datetime.timedelta(seconds=lifetime))
            try:
                grant = self._client.share(
                    self.queue, ['messages'], ['POST'],
                    expires.strftime('%Y-%m-%dT%H:%M:%S'))
            except errors.ZaqarError as exc:
                LOG.warning('No reply grant for %s (%s); servers must share '
                            'this project to reply', self.queue, exc)
                self._grant_retry = now + 60
                return self._grant
            if not zauth.valid_grant(grant):
                LOG.warning('Zaqar answered an unusable reply grant')
                self._grant_retry = now + 60
                return self._grant
            self._grant, self._grant_until = grant, now + lifetime
            return grant

    def stop(self):
        """Stop the thread and delete the reply queue (best effort)."""
        if self._push is not None:
            self._push.unsubscribe(self.queue, self._on_push)
        self._inbox.put(_STOP)
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
        dirty_since = None
        while True:
            pushed = self._push is not None and self._push.healthy
            if pushed:
                # Calls in flight: drain now and then in case pushes lag.
                timeout = (_DRAIN_DELAY if dirty_since is not None else
                           self._settings.poll_max_interval if self._waiters
                           else self._settings.push_safety_interval)
            else:
                timeout = self._poll_pause() if self._waiters else None
            try:
                item = self._inbox.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            if item is _PUSHED:
                if dirty_since is None:
                    dirty_since = time.monotonic()
                if time.monotonic() - dirty_since < _DRAIN_EVERY:
                    continue
            elif item is _KICK:
                self._active_at = time.monotonic()
                self._interval = self._settings.poll_min_interval
                continue
            try:
                self._drain()
            except errors.ZaqarError as exc:
                LOG.warning('Cannot read reply queue %s: %s', self.queue,
                            exc)
                self._interval = self._settings.poll_max_interval
            dirty_since = None

    def _poll_pause(self):
        settings = self._settings
        if time.monotonic() - self._active_at < settings.poll_hot_window:
            pause = settings.poll_min_interval
        else:
            pause = self._interval
            self._interval = min(pause * 1.5, settings.poll_max_interval)
        monitors = list(self._monitors.values())
        if monitors:
            pause = min(pause, min(monitors) / 4.0)
        return pause

    def _drain(self):
        got = 0
        while True:
            # Claim, then delete: an empty claim costs Zaqar two thirds
            # of an empty pop, and the queue is mostly empty.
            messages = self._client.claim(self.queue, zlistener.PAGE)
            if messages:
                self._client.delete(self.queue, [m['id'] for m in messages])
            for message in messages:
                if not self._deliver(message.get('body')):
                    continue
                got += 1
                if (self._push is not None and
                        self._push.is_lag(message.get('age'), self._since)):
                    self._push.report_lag(self.queue, message.get('age'))
            if got:
                self._active_at = time.monotonic()
                self._interval = self._settings.poll_min_interval
            if len(messages) < zlistener.PAGE:
                return got

    def _deliver(self, body):
        try:
            body = envelope.decode(body, ('reply', 'hb'))
        except envelope.InvalidEnvelope as exc:
            LOG.warning('Dropped a malformed or foreign message from reply '
                        'queue %s: %s', self.queue, exc)
            return False
        if not self._seen.add(body['id']):
            return False
        replies = self._waiters.get(body['mid'])
        if replies is None:
            LOG.debug('Dropped a reply to %s: nobody waits for it',
                      body['mid'])
        else:
            replies.put(body)
        return True
