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

"""Pure fakes for the driver's unit tests: settings, a clock, ports.

``Client``, ``Push`` and ``Driver`` stand in for what a listener or a
reply waiter talks to: scripted answers, every request recorded, no
process and no socket.
"""

import heapq
import itertools
import socket
import threading

from oslo_config import cfg
import oslo_messaging as om

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import settings as zsettings
from zaqar_trove_tests.unit.rpc import tiny_http

#: The reply queue the calls of ``call`` name, and its grant.
REPLY_QUEUE = names.reply_queue('om', '0' * 32)
GRANT = tiny_http.GRANT
_MESSAGE_IDS = itertools.count(1)


def make_settings(*ports, **query):
    """Driver settings for a noauth URL on loopback ``ports``."""
    conf = cfg.ConfigOpts()
    conf([])
    options.register_opts(conf)
    params = dict({'auth': 'noauth', 'project_id': 'p', 'http_timeout': 1},
                  **query)
    url = 'zaqar://%s/?%s' % (
        ','.join('127.0.0.1:%d' % p for p in ports or (9,)),
        '&'.join('%s=%s' % kv for kv in sorted(params.items())))
    return zsettings.from_url(conf, om.TransportURL.parse(conf, url))


def free_port():
    """A loopback port nothing listens on (until someone takes it)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def cast(value):
    """A cast envelope whose argument is ``value``."""
    return envelope.cast({}, {'method': 'note', 'args': {'value': value}})


def call(value, timeout=30.0, monitor=None):
    """A call envelope whose argument is ``value``."""
    return envelope.call({}, {'method': 'echo', 'args': {'value': value}},
                         envelope.new_id(), envelope.new_id(), REPLY_QUEUE,
                         GRANT, timeout, monitor)


def message(body, age=0):
    """``body`` as a read of Zaqar returns it, ``age`` s after its post."""
    return {'id': 'm-%d' % next(_MESSAGE_IDS), 'age': age, 'body': body}


def values(incoming):
    """The arguments of what a listener handed over."""
    return [m.message['args']['value'] for m in incoming]


class Clock:
    """A monotonic clock that moves only when something sleeps on it.

    Pass ``clock`` as the clock and ``clock.sleep`` as the sleep (or a
    listener's wait) of the code under test: every pause is recorded in
    ``pauses`` and moves the time on at once, so nothing really waits and
    no verdict depends on the machine's speed. ``at(when, event)`` runs
    ``event()`` when a sleep reaches ``when``; that sleep then ends there,
    as a wait a push interrupts.
    """

    def __init__(self, now=1000.0):
        self.now = now
        self.pauses = []
        self._events = []
        self._order = itertools.count()
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self.now

    def at(self, when, event):
        with self._lock:
            heapq.heappush(self._events, (when, next(self._order), event))

    def sleep(self, seconds):
        with self._lock:
            self.pauses.append(seconds)
            end = self.now + max(0.0, seconds or 0.0)
            if not self._events or self._events[0][0] > end:
                self.now = end
                return False
            when, _, event = heapq.heappop(self._events)
            self.now = max(self.now, when)
        event()
        return False

    def advance(self, seconds):
        with self._lock:
            self.now += seconds


class Client:
    """A scripted Zaqar client; records every request in ``requests``.

    ``script(queue, *steps)``: each claim, pop or list of ``queue`` (None:
    any queue without its own script) answers the next step -- a list of
    messages, an exception to raise, or a callable returning either --
    and ``[]`` once the steps are spent. Requests are recorded as ``(op,
    queue, argument, clock())`` (``clock``: a ``Clock``, or None); with
    a clock, a claim, pop or list takes ``delay`` seconds of it.
    """

    def __init__(self, clock=None):
        self.requests = []
        self.delay = 0.0
        self._clock = clock
        self._scripts = {}

    def script(self, queue, *steps):
        self._scripts.setdefault(queue, []).extend(steps)
        return self

    def made(self, op, queue=None):
        """The requests ``op`` (on ``queue``) made, in order."""
        return [r for r in self.requests
                if r[0] == op and queue in (None, r[1])]

    def count(self, op, queue=None):
        return len(self.made(op, queue))

    def times(self, op, queue=None):
        return [r[3] for r in self.made(op, queue)]

    def _record(self, op, queue, arg=None):
        self.requests.append((op, queue, arg,
                              self._clock() if self._clock else None))

    def _answer(self, op, queue, arg=None):
        self._record(op, queue, arg)
        if self.delay and self._clock:
            self._clock.sleep(self.delay)
        steps = self._scripts.get(queue, self._scripts.get(None, []))
        step = steps.pop(0) if steps else []
        if callable(step):
            step = step()
        if isinstance(step, Exception):
            raise step
        return step

    def ensure_queue(self, queue, timeout=None):
        self._record('ensure', queue)

    def delete_queue(self, queue):
        self._record('delete_queue', queue)

    def claim(self, queue, limit):
        return self._answer('claim', queue, limit)

    def pop(self, queue, limit):
        return self._answer('pop', queue, limit)

    def list(self, queue, marker, limit):
        messages = self._answer('list', queue, marker)
        return messages, (messages[-1]['id'] if messages else marker)

    def delete(self, queue, ids):
        self._record('delete', queue, list(ids))


class Push:
    """A push client whose pushes the test sends (``push``).

    Requests on its websocket (claims, deletes) go to ``ws``, a ``Client``
    the test scripts; without one they fail as with no connection.
    """

    def __init__(self, healthy=True, ws=None):
        self.healthy = healthy
        self.ws = ws
        self.callbacks = {}
        self.lags = []

    def _connection(self):
        if self.ws is None:
            raise errors.Unreachable('no websocket connection')
        return self.ws

    def claim(self, queue, limit, ttl, grace):
        return self._connection().claim(queue, limit)

    def send_delete(self, queue, ids):
        ws = self._connection()
        return lambda: ws.delete(queue, ids)

    def subscribe(self, queue, callback):
        self.callbacks.setdefault(queue, []).append(callback)

    def unsubscribe(self, queue, callback):
        self.callbacks[queue].remove(callback)

    def push(self, queue, body):
        for callback in list(self.callbacks.get(queue, ())):
            callback(body)

    def is_lag(self, age, since):
        return False

    def report_lag(self, queue, age):
        self.lags.append((queue, age))


class Driver:
    """The driver, as its listeners, reply waiter and messages see it.

    Records posts, replies and background deletes.
    """

    allowed_remote_exmods = ['zaqar_trove_tests.unit.rpc.fakes']

    def __init__(self, client=None, push=None, **query):
        self.settings = make_settings(**query)
        self.client = client or Client()
        self.push = push
        self.posts = []
        self.replies = []
        self.deletes = []

    def deleter(self):
        return self

    def add(self, queue, ids, expires):
        self.deletes.append((queue, list(ids), expires))

    def post(self, queue, bodies, ttl, retry=None, deadline=None,
             grant=None, data=None):
        self.posts.append((queue, list(bodies)))

    def send_reply(self, request, body, deadline, raise_errors=False):
        self.replies.append((request, body, deadline, raise_errors))

    def forget_listener(self, listener):
        pass


class RemoteFault(Exception):
    """An exception of a module callers allow (``Driver``)."""
