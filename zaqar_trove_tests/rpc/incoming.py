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

"""What a listener hands to oslo.messaging, and duplicate detection."""

import collections
import threading
import time

from oslo_messaging._drivers import base
from oslo_messaging._drivers import common

from zaqar_trove_tests.rpc import envelope


#: Seconds an id is remembered at most: ten claim TTLs. A second copy of
#: a message comes within a claim's TTL and grace (a delete that failed),
#: or at once (a post repeated after a 5xx), so older ids only cost
#: memory: a guest's sets then hold its last ten minutes, not its life.
HORIZON = 600.0


class RecentIds:
    """A bounded set of recently seen ids (oldest forgotten first).

    An id is forgotten once ``size`` newer ones came, or ``horizon``
    seconds after it was first seen, whichever is first.
    """

    def __init__(self, size=8192, horizon=HORIZON, clock=time.monotonic):
        self._ids = collections.OrderedDict()
        self._size = size
        self._horizon = horizon
        self._clock = clock
        self._lock = threading.Lock()

    def _expire(self):
        oldest = self._clock() - self._horizon
        while self._ids and (len(self._ids) > self._size or
                             next(iter(self._ids.values())) < oldest):
            self._ids.popitem(last=False)

    def add(self, key):
        """Remember ``key``; False if it was already there."""
        with self._lock:
            self._expire()
            if key in self._ids:
                return False
            self._ids[key] = self._clock()
            self._expire()
            return True

    def __contains__(self, key):
        with self._lock:
            self._expire()
            return key in self._ids

    def discard(self, key):
        with self._lock:
            self._ids.pop(key, None)


class RpcIncoming(base.RpcIncomingMessage):
    """A call or cast; replies go to the caller's reply queue.

    :param deadline: monotonic time the caller gives up (calls), from
        Zaqar's age of the request when it was read.
    """

    def __init__(self, listener, body, deadline=None):
        super().__init__(body['ctx'], body['msg'], body.get('mid'))
        self._listener = listener
        self._body = body
        self._deadline = deadline
        self.client_timeout = body.get('cm')

    @property
    def deadline(self):
        """Monotonic time the caller gives up (None for a cast)."""
        return self._deadline

    def acknowledge(self):
        """Nothing to do: the message left Zaqar before dispatch."""

    def requeue(self):
        """Not supported for RPC (``require_features`` says so)."""

    def reply(self, reply=None, failure=None):
        if self._body['k'] != 'call':
            return
        if failure is not None:
            failure = common.serialize_remote_exception(failure)
        self._listener.driver.send_reply(
            self._body, envelope.reply(self._body, reply, failure),
            self._deadline)

    def heartbeat(self):
        if self._body['k'] == 'call':
            self._listener.driver.send_reply(
                self._body, envelope.heartbeat(self._body), self._deadline,
                raise_errors=True)


class NotificationIncoming(base.IncomingMessage):
    """A notification; ``requeue`` posts it back to its queue."""

    def __init__(self, listener, body, queue):
        super().__init__(body['ctx'], body['msg'])
        self._listener = listener
        self._body = body
        self._queue = queue

    def acknowledge(self):
        """Nothing to do: the message left Zaqar before dispatch."""

    def requeue(self):
        self._listener.requeue(self._queue, self._body)
