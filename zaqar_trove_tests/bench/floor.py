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


"""The floor: what Zaqar itself costs, measured in the same run.

``primitives`` times single requests back to back (HTTP post, claim,
delete, pop, an empty claim and pop -- what an idle poll costs -- a post
over the websocket, post->push: from the start of an HTTP post to the
websocket push of that message, a websocket connection with its
authentication, a subscription) and what each costs Zaqar, Redis and
Keystone in CPU. ``PingPong`` is the call a driver
cannot beat: the caller posts a request, a responder process gets it
pushed and posts a reply, the caller gets the reply pushed -- two posts
and two deliveries, nothing else. With ``claim`` the responder also
claims the request first, as competing consumers must (and deletes it
once the reply is posted). With ``ws`` both sides post over their
websocket instead of HTTP. ``casts`` is the cast a driver cannot beat:
posts from many threads to one queue, pushed to a responder that counts
them.
Message bodies have the size of the driver's request and reply
envelopes.
"""

import os
import threading
import time
import uuid

from zaqar_trove_tests.bench import load
from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import spawn
from zaqar_trove_tests.bench import stats

#: Bodies as large as a zaqar:// call request (with its reply grant)
#: and its reply.
REQUEST_PAD = 'x' * 700
REPLY_PAD = 'x' * 150


#: Latencies (ms) of calls one after the other.
_timed = load.sequential


def _queue(what):
    return 'bench-floor-%s-%s' % (what, uuid.uuid4().hex[:8])


class _Pushes:
    """Waits for pushed bodies by their ``id``."""

    def __init__(self):
        self._events = {}
        self._lock = threading.Lock()
        self.arrived = {}

    def expect(self, key):
        event = threading.Event()
        with self._lock:
            self._events[key] = event
        return event

    def __call__(self, queue, body):
        key = body.get('id') if isinstance(body, dict) else None
        with self._lock:
            event = self._events.pop(key, None)
        if event is not None:
            self.arrived[key] = time.perf_counter()
            event.set()


#: Services whose CPU each primitive is charged with.
CHARGED = ('zaqar', 'zaqar-websocket', 'redis', 'keystone')


def primitives(target, samples=200):
    """Zaqar's single operations, one at a time.

    :returns: ``{name: latency summary (ms) + cpu_ms}``, ``cpu_ms`` being
        the CPU each operation cost the Zaqar API and websocket servers,
        Redis and Keystone (``{service: ms}``).
    """
    http = target.http()
    pushes = _Pushes()
    push = target.push(pushes)
    queues = [_queue(n) for n in ('a', 'b', 'c')]
    a, b, c = queues
    for queue in queues:
        http.ensure(queue)
    sources = {name: get for name, get in target.cpu_sources().items()
               if name in CHARGED}
    out = {}

    def measure(name, func, count=samples):
        meter = machine.CpuMeter(sources).start()
        values = func(count)
        cpu = meter.stop()
        wall = cpu.pop('wall_s')
        out[name] = dict(stats.summary(values),
                         samples_ms=stats.thin(values),
                         cpu_ms={k: v * wall * 1000.0 / count
                                 for k, v in cpu.items()})

    try:
        body = {'pad': REQUEST_PAD}
        measure('post', lambda n: _timed(lambda i: http.post(a, body), n))
        claimed = []
        measure('claim', lambda n: _timed(
            lambda i: claimed.append(http.claim(a)[0]['id']), n))
        measure('delete', lambda n: _timed(
            lambda i: http.delete(a, [claimed[i]]), n))
        measure('claim_empty', lambda n: _timed(lambda i: http.claim(a), n))
        for i in range(samples):
            http.post(b, body)
        measure('pop', lambda n: _timed(lambda i: http.pop(b), n))
        measure('pop_empty', lambda n: _timed(lambda i: http.pop(b), n))
        measure('ws_post', lambda n: _timed(lambda i: push.post(b, body),
                                            n))
        push.subscribe(c)
        measure('post_push', lambda n: _post_push(http, pushes, c, n))
        measure('ws_connect', lambda n: _timed(
            lambda i: target.push().close(), n), min(samples, 20))
        subscribed = [_queue('s') for _ in range(min(samples, 20))]
        queues += subscribed
        measure('subscribe', lambda n: _timed(
            lambda i: push.subscribe(subscribed[i]), n), len(subscribed))
    finally:
        push.close()
        for queue in queues:
            http.delete_queue(queue)
    return out


def _post_push(http, pushes, queue, samples):
    out = []
    for i in range(samples):
        key = uuid.uuid4().hex
        event = pushes.expect(key)
        started = time.perf_counter()
        http.post(queue, {'id': key, 'pad': REQUEST_PAD})
        if not event.wait(10):
            raise RuntimeError('no push of a message posted 10 s ago')
        out.append((pushes.arrived.pop(key) - started) * 1000.0)
    return out


def responder(target, log_dir, request_queue, ws_url=None, **spec):
    """A ready ``FloorWorker`` process answering (or counting) pushes.

    :param ws_url: its websocket server (default the stack's first).
    """
    worker = spawn.Worker(dict(
        spec, mode='floor', http=[target.host, target.http_port],
        ws=ws_url or target.ws_url, token=target.token,
        project=target.project_id,
        request_queue=request_queue),
        os.path.join(log_dir, 'floor-worker.log'))
    worker.wait_ready(60)
    return worker


def casts(target, count, senders, log_dir, timeout=120, echo=print):
    """The cast floor: ``count`` HTTP posts from ``senders`` threads.

    A responder gets each pushed and counts it (``rpcbench.cast_run``).
    """
    http = target.http()
    queue = _queue('cast')
    http.ensure(queue)
    worker = responder(target, log_dir, queue, count_only=True)
    body = {'pad': REQUEST_PAD}
    try:
        return rpcbench.cast_run(target, 'floor',
                                 lambda i: http.post(queue, body), [worker],
                                 count, senders, timeout, echo)
    finally:
        worker.stop()
        http.delete_queue(queue)


class PingPong:
    """The minimal call over Zaqar; a responder process answers.

    Usable as a system of ``rpcbench.interleaved`` (transport ``floor``,
    ``floor-claim`` or ``floor-ws``). ``caller_ws`` and ``responder_ws``
    are the websocket servers of the two sides (default: the stack's
    first for both).
    """

    servers = 1

    def __init__(self, target, log_dir, claim=False, ws=False,
                 caller_ws=None, responder_ws=None):
        self.transport = 'floor' + ('-claim' if claim else '') + (
            '-ws' if ws else '')
        self._http = target.http()
        self.request_queue = _queue('req')
        self.reply_queue = _queue('rep')
        self._http.ensure(self.request_queue)
        self._http.ensure(self.reply_queue)
        self._pushes = _Pushes()
        self._push = target.push(self._pushes, ws_url=caller_ws)
        self._push.subscribe(self.reply_queue)
        self._post = self._push.post if ws else self._http.post
        self.worker = responder(target, log_dir, self.request_queue,
                                ws_url=responder_ws,
                                reply_queue=self.reply_queue, claim=claim,
                                ws_post=ws)

    def call(self, i=None, timeout=30):
        key = uuid.uuid4().hex
        event = self._pushes.expect(key)
        self._post(self.request_queue, {'id': key, 'pad': REQUEST_PAD})
        if not event.wait(timeout):
            raise TimeoutError('no reply pushed within %d s' % timeout)

    def pids(self):
        return [self.worker.pid]

    def close(self):
        self.worker.stop()
        self._push.close()
        for queue in (self.request_queue, self.reply_queue):
            self._http.delete_queue(queue)
