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


"""Deletes claimed messages in the background, in batches.

An RPC server claims requests and dispatches them at once; the delete of
what it claimed is sent from this thread, as oslo's rabbit driver sends
its acknowledgements without waiting for the broker. The claim keeps the
messages from every other consumer meanwhile, so the delete is off the
request's critical path; it waits ``DELAY`` for more ids, so several
claims share one delete. A delete
Zaqar does not answer is retried with backoff until the claim is about
to expire; past that the messages may be delivered again (and a call
whose caller gave up is dropped by its deadline), which is logged.
"""

import collections
import logging
import threading
import time

from zaqar_trove_tests.rpc import errors

LOG = logging.getLogger(__name__)

#: Zaqar deletes at most this many ids per request.
BATCH = 20
#: Stop retrying this long (s) before the claim expires.
MARGIN = 5.0
#: A delete waits this long (s) for more ids, unless a batch is full: it
#: then neither competes with the reply the dispatch is about to post nor
#: costs one request per message of a burst.
DELAY = 0.05


class Deleter:
    """One background thread deleting ``(queue, ids)`` for a driver."""

    def __init__(self, client, settings):
        self._client = client
        self._settings = settings
        self._work = collections.OrderedDict()
        self._busy = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._failing = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='zaqar-deleter')
        self._thread.start()

    def add(self, queue, ids, expires):
        """Delete ``ids`` from ``queue`` before monotonic ``expires``."""
        with self._cond:
            now = time.monotonic()
            self._work.setdefault(queue, []).extend(
                (msg_id, expires, now) for msg_id in ids)
            self._cond.notify_all()

    def flush(self, timeout):
        """Wait until nothing is left to delete; False on timeout."""
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
            while True:
                self._cond.wait_for(lambda: self._work or self._stopped)
                if self._stopped:
                    return None
                items = next(iter(self._work.values()))
                wait = items[0][2] + DELAY - time.monotonic()
                if wait <= 0 or len(items) >= BATCH:
                    break
                self._cond.wait(wait)
            queue, items = self._work.popitem(last=False)
            batch, rest = items[:BATCH], items[BATCH:]
            if rest:
                self._work[queue] = rest
                self._work.move_to_end(queue, last=False)
            self._busy += 1
            return queue, batch

    def _done(self):
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    def _run(self):
        delay = self._settings.retry_interval
        while True:
            taken = self._take()
            if taken is None:
                return
            queue, batch = taken
            try:
                failed = self._delete(queue, batch)
            finally:
                self._done()
            if not failed:
                if self._failing:
                    LOG.info('Deleting claimed messages works again')
                self._failing = False
                delay = self._settings.retry_interval
                continue
            live = [item for item in batch
                    if item[1] - MARGIN > time.monotonic() + delay]
            if len(live) < len(batch):
                LOG.error('Could not delete %d claimed message(s) from %s '
                          'before their claim expires: they may be '
                          'delivered again', len(batch) - len(live), queue)
            if live:
                with self._cond:
                    self._work.setdefault(queue, [])[:0] = live
                    self._cond.wait(delay)
            delay = min(delay * 2, self._settings.max_retry_interval)

    def _delete(self, queue, batch):
        """Delete one batch; True if it should be retried."""
        try:
            self._client.delete(queue, [item[0] for item in batch])
        except errors.Unreachable as exc:
            (LOG.debug if self._failing else LOG.warning)(
                'Deleting claimed messages from %s: %s; retrying with '
                'backoff', queue, exc)
            self._failing = True
            return True
        except errors.ZaqarError as exc:
            LOG.error('Zaqar refused deleting claimed messages from %s: '
                      '%s; they may be delivered again', queue, exc)
        return False
