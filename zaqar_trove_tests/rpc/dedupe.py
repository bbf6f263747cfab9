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

"""Requests posted twice run once across all the servers of a topic.

A post that Zaqar may have stored (a 5xx, or no answer once written) is
posted again, its requests marked ``re`` (``driver.post``): the topic
queue may then hold two copies with one envelope id, and two servers may
each claim one. A server remembers the ids it ran (``RecentIds``, the
same server drops a second copy at once). A server that claims a marked
request it has not seen asks the topic's other servers on the topic's
fanout queue, which they all observe (``query``); a server that ran that
id answers there (``done``), also when it runs that id only after the
query came (the other copy was claimed and queried first); the asker
runs the request only if no answer came within the window: two poll
intervals of a fanout reader plus ``MARGIN`` (4 s with the defaults).
Halfway through the window it asks once more: a pushed server reads the
fanout queue when a push announces a message, and Zaqar pushes before it
stores, so a loaded Zaqar can store a query after the reads its push
caused (CI saw a cast posted twice run twice so); the second query's push
makes them read again, and find both. Nothing is written unless a post
was repeated.

The window is the limit: a server that ran the first copy and then died,
or could not reach Zaqar for the window, does not answer, and the copy
runs again (as any retried publish may with RabbitMQ). A queried request
has left its queue (RPC acknowledges before dispatch): if the asking
server dies within the window it is lost, as an acknowledged request
whose server dies. Two marked copies claimed by two servers (a post
repeated twice, both stored) both run. Memory is bounded: ``RecentIds``
of 8,192 ids each (for ten minutes at most), at most ``MAX_WAITING``
requests waiting (more run at once).

Used by one listener, in its poll thread only.
"""

import collections
import logging
import time

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import incoming as zincoming

LOG = logging.getLogger(__name__)

#: Seconds added to two fanout poll intervals for an answer to come.
MARGIN = 2.0
#: Marked requests waiting for answers; beyond it they run at once.
MAX_WAITING = 1000


class _Held:
    """A marked request waiting for answers."""

    __slots__ = ('deadline', 'envelope_id', 'item', 'ask_again_at')

    def __init__(self, now, window, envelope_id, item):
        self.deadline = now + window
        self.envelope_id = envelope_id
        self.item = item
        self.ask_again_at = now + window / 2.0


class Duplicates:
    """What one listener ran, and the marked requests it asks about.

    :param post: ``post(body)`` puts an envelope on the topic's fanout
        queue (None: this listener cannot, e.g. a guest holding only a
        read grant of it; it then runs marked requests at once).
    :param window: seconds to wait for an answer.
    """

    def __init__(self, post, window):
        self._post = post
        self._window = window
        self._ran = zincoming.RecentIds()
        self._ran_elsewhere = zincoming.RecentIds()
        self._asked = zincoming.RecentIds()
        self._waiting = collections.deque()

    def ran(self, envelope_id):
        """This server runs ``envelope_id`` now."""
        self._ran.add(envelope_id)
        if envelope_id in self._asked:
            # Asked before it ran here (the other copy was claimed and
            # queried first): the asker still waits for this answer.
            self._send(envelope.done(envelope_id))

    def hold(self, body, item, now=None):
        """Keep ``item`` (a marked request) until the others answered.

        :returns: False if it must run now (not marked, no fanout queue,
            too many waiting).
        """
        if (not body.get('re') or self._post is None or
                len(self._waiting) >= MAX_WAITING):
            return False
        if not self._send(envelope.query(body['id'])):
            return False
        now = time.monotonic() if now is None else now
        self._waiting.append(_Held(now, self._window, body['id'], item))
        return True

    def on_fanout(self, body):
        """A ``dq`` or ``dn`` envelope read on the fanout queue."""
        if body['k'] == 'dn':
            self._ran_elsewhere.add(body['x'])
        elif body['x'] in self._ran:
            self._send(envelope.done(body['x']))
        else:
            self._asked.add(body['x'])

    @property
    def waiting(self):
        """Whether requests wait (read the fanout queue often)."""
        return bool(self._waiting)

    def next_at(self):
        """When ``due`` has work next (monotonic), or None."""
        return min((min(held.deadline, held.ask_again_at or held.deadline)
                    for held in self._waiting), default=None)

    def due(self, now=None):
        """Waiting items whose window passed and that nobody ran.

        They count as run by this server from now on.
        """
        now = time.monotonic() if now is None else now
        out = []
        while self._waiting and self._waiting[0].deadline <= now:
            held = self._waiting.popleft()
            if held.envelope_id in self._ran_elsewhere:
                LOG.info('Dropped request %s: another server of the topic '
                         'ran it (it was posted twice)', held.envelope_id)
                continue
            self._ran.add(held.envelope_id)
            out.append(held.item)
        for held in self._waiting:
            if held.ask_again_at is not None and held.ask_again_at <= now:
                held.ask_again_at = None
                if held.envelope_id not in self._ran_elsewhere:
                    self._send(envelope.query(held.envelope_id))
        return out

    def _send(self, body):
        try:
            self._post(body)
            return True
        except Exception as exc:
            LOG.warning('Cannot ask or tell the servers of the topic about '
                        'request %s: %s', body['x'], exc)
            return False
