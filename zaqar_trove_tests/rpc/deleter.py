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


"""Deletes of claimed messages: sent before dispatch, answered later.

A listener claims requests or notifications and must remove them before
it dispatches them (oslo acknowledges RPC requests before dispatch:
at-most-once; a notification once dispatched must not come again). The
delete is *written* to Zaqar before the listener hands the messages on --
once written the kernel sends it even if the process is killed right
after, as with rabbit's acknowledgement -- but its answer is read by this
thread, so the dispatch does not wait for Zaqar to answer. A delete that
could not be written, or that Zaqar did not answer, is retried here with
backoff (``backoff.Backoff``) until the claim (which hides the messages
from every other consumer meanwhile) is about to expire: no pause ends
later than ``MARGIN`` before it. Past that the messages may be delivered
again, which is logged (a call whose caller gave up is then dropped by
its deadline; a cast would run twice).

With ``push`` (a ``PushClient``) the deletes go over its websocket while
it is open, and any that fails there is retried over HTTP.
"""

import collections
import logging
import threading
import time

from zaqar_trove_tests.rpc import backoff
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import httpclient

LOG = logging.getLogger(__name__)

#: Zaqar deletes at most this many ids per request.
BATCH = 20
#: Stop retrying this long (s) before the claim expires.
MARGIN = 5.0


def _retried_over_http(finish):
    """``finish`` of a websocket delete: any failure is retried over HTTP.

    (Zaqar's websocket API validates apart from its HTTP API: a refusal
    there says nothing of the HTTP delete.)
    """
    def finish_or_retry():
        try:
            return finish()
        except errors.Rejected as exc:
            raise errors.Unreachable(str(exc), sent=True)
    return finish_or_retry


class Deleter:
    """Sends deletes of claimed messages; one thread reads the answers.

    ``_cond`` (its lock) guards ``_work``, ``_busy`` and ``_stopped``,
    shared by the listeners' threads (``add``), ``flush``/``stop`` callers
    and the deleter thread; ``_failing`` is the deleter thread's own.

    :param clock: the monotonic clock the claims' expiries are read on.
    :param sleep: ``sleep(seconds)`` between retries (default: wait on
        ``_cond`` unless stopped).
    """

    def __init__(self, client, settings, clock=time.monotonic, sleep=None,
                 push=None):
        self._client = client
        self._push = push
        self._settings = settings
        self._clock = clock
        self._sleep = sleep or self._wait_unless_stopped
        self._work = collections.deque()
        self._busy = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._failing = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='zaqar-deleter')
        self._thread.start()

    def add(self, queue, ids, expires):
        """Send the delete of ``ids`` now; ``expires``: the claim's end.

        Returns once the request is written (or could not be): the caller
        may dispatch the messages then.
        """
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            finish = self._send(queue, batch)
            with self._cond:
                self._work.append((queue, batch, expires, finish))
                self._cond.notify_all()

    def _send(self, queue, ids):
        """Write the delete now; ``finish()``, or None if not written."""
        if self._push is not None:
            try:
                return _retried_over_http(self._push.send_delete(queue, ids))
            except errors.ZaqarError as exc:
                LOG.debug('Delete from %s not sent over the websocket (%s)',
                          queue, exc)
        try:
            return self._client.send('DELETE', queue,
                                     httpclient.delete_suffix(ids))
        except errors.ZaqarError as exc:
            LOG.debug('Delete from %s not sent now (%s): retried in '
                      'the background', queue, exc)
            return None

    def flush(self, timeout):
        """Wait until every delete is answered; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._work and not self._busy, timeout)

    def stop(self, timeout=5.0):
        """Flush (bounded by ``timeout``), then end the thread."""
        self.flush(timeout)
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _take(self):
        with self._cond:
            self._cond.wait_for(lambda: self._work or self._stopped)
            if self._stopped:
                return None
            self._busy += 1
            return self._work.popleft()

    def _done(self):
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    def _run(self):
        while True:
            item = self._take()
            if item is None:
                return
            try:
                self._settle(*item)
            except Exception:
                # Supervised: one delete must not end every later one.
                LOG.exception('Unexpected error deleting claimed messages '
                              'from %s', item[0])
            finally:
                self._done()

    def _settle(self, queue, ids, expires, finish):
        """Read the answer of a sent delete, else retry until it works."""
        if finish is not None:
            try:
                finish()
                self._recovered()
                return
            except (errors.Unreachable, errors.AuthFailed) as exc:
                # The retry fetches a new token (401) or fails over.
                LOG.debug('Delete from %s: %s; retrying', queue, exc)
            except errors.ZaqarError as exc:
                self._refused(queue, exc)
                return
        pauses = backoff.Backoff(self._settings.retry_interval,
                                 self._settings.max_retry_interval,
                                 deadline=expires - MARGIN, clock=self._clock)
        while self._running():
            try:
                self._client.delete(queue, ids)
                self._recovered()
                return
            except errors.Unreachable as exc:
                (LOG.debug if self._failing else LOG.warning)(
                    'Deleting claimed messages from %s: %s; retrying with '
                    'backoff', queue, exc)
                self._failing = True
            except errors.ZaqarError as exc:
                self._refused(queue, exc)
                return
            pause = pauses.next()
            if pause is None:
                LOG.error('Could not delete %d claimed message(s) from %s '
                          'before their claim expires: they may be '
                          'delivered again', len(ids), queue)
                return
            self._sleep(pause)

    def _running(self):
        with self._cond:
            return not self._stopped

    def _wait_unless_stopped(self, seconds):
        with self._cond:
            self._cond.wait_for(lambda: self._stopped, seconds)

    @staticmethod
    def _refused(queue, exc):
        LOG.error('Zaqar refused deleting claimed messages from %s: %s; '
                  'they may be delivered again', queue, exc)

    def _recovered(self):
        if self._failing:
            LOG.info('Deleting claimed messages works again')
        self._failing = False
