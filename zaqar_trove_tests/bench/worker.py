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


"""A benchmark process: RPC servers (guests) or the floor's responder.

Run by the harness as ``python -m zaqar_trove_tests.bench.worker``: it
reads one JSON spec line on stdin, prints ``{"ready": ...}`` on stdout
once everything listens, then answers command lines (``{"cmd":
"stats"}``) until ``{"cmd": "stop"}`` or end of input, and exits. It
dies with its parent.

Specs:

- ``{"mode": "rpc", "url": ..., "servers": [[topic, server], ...],
  "start_threads": 16}``: one transport per server (as each guest has
  its own), endpoints ``echo`` (returns its value) and ``note`` (counts).
  HTTP requests the ``zaqar://`` driver sends are counted by kind.
- ``{"mode": "floor", "http": [host, port], "ws": url, "token": ...,
  "project": ..., "request_queue": q, "reply_queue": r, "claim": bool}``:
  Zaqar's primitives only. Each pushed request is answered by posting
  ``{"id": ...}`` to the reply queue; with ``claim`` the request is
  first claimed (what a competing consumer must do), and deleted after
  the reply is posted; with ``ws_post`` replies are posted (and requests
  claimed and deleted) over the websocket; with ``count_only`` pushes
  are only counted (``note``).
"""

import collections
import concurrent.futures
import ctypes
import ctypes.util
import json
import logging
import os
import signal
import sys
import threading
import time

import psutil

LOG = logging.getLogger('zaqar_trove_tests.bench.worker')


def die_with_parent():
    """Get SIGTERM when the parent process dies (Linux)."""
    libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Counter:
    """Thread-safe named counts."""

    def __init__(self):
        self._counts = collections.Counter()
        self._lock = threading.Condition()
        self._last = {}

    def add(self, name, n=1):
        with self._lock:
            self._counts[name] += n
            self._last[name] = time.monotonic()
            self._lock.notify_all()

    def wait_for(self, name, count, timeout):
        """Wait until ``name`` reaches ``count`` or ``timeout`` passes.

        :returns: ``{"count", "at"}``: the count and when it last grew.
        """
        with self._lock:
            self._lock.wait_for(lambda: self._counts[name] >= count,
                                timeout)
            return {'count': self._counts[name],
                    'at': self._last.get(name, time.monotonic())}

    def snapshot(self):
        with self._lock:
            return dict(self._counts)


def count_driver_requests(counter):
    """Count every HTTP request of the zaqar:// driver in this process."""
    from zaqar_trove_tests.rpc import httpclient

    original = httpclient.ZaqarClient.request

    def request(self, method, queue, suffix, *args, **kwargs):
        kind = suffix.split('?')[0].strip('/') or 'queue'
        counter.add('%s %s' % (method, kind))
        return original(self, method, queue, suffix, *args, **kwargs)

    httpclient.ZaqarClient.request = request


def _wait_push(transport, timeout=300):
    """Wait until a zaqar:// transport's websocket is up (push mode).

    Guests start a few at a time so that Zaqar's websocket server, which
    authenticates one connection at a time, is not measured under an
    authentication storm of the benchmark's own making.
    """
    push = getattr(getattr(transport, '_driver', None), 'push', None)
    deadline = time.monotonic() + timeout
    while push is not None and not push.healthy:
        if time.monotonic() > deadline:
            raise RuntimeError('websocket not up after %d s' % timeout)
        time.sleep(0.05)


class Endpoint:
    """What the benchmark calls: ``echo`` and ``note``."""

    def __init__(self, counter):
        self._counter = counter

    def echo(self, ctxt, value):
        self._counter.add('echo')
        return value

    def note(self, ctxt, value):
        self._counter.add('note')


class RpcWorker:
    """Hosts RPC servers, one transport each."""

    def __init__(self, spec):
        from oslo_config import cfg
        import oslo_messaging as om

        from zaqar_trove_tests.rpc import options

        self._om = om
        self.requests = Counter()
        self.received = Counter()
        count_driver_requests(self.requests)
        self._conf = cfg.ConfigOpts()
        self._conf([])
        options.register_global_only_opts(self._conf)
        self._url = spec['url']
        self._targets = [tuple(t) for t in spec['servers']]
        self._threads = spec.get('start_threads', 16)
        self._servers = []
        self._lock = threading.Lock()

    def _start_one(self, target):
        om = self._om
        topic, server = target
        transport = om.get_rpc_transport(self._conf, url=self._url)
        rpc = om.get_rpc_server(transport, om.Target(topic=topic,
                                                     server=server),
                                [Endpoint(self.received)],
                                executor='threading')
        rpc.start()
        with self._lock:
            self._servers.append((rpc, transport))
        _wait_push(transport)

    def start(self):
        with concurrent.futures.ThreadPoolExecutor(self._threads) as pool:
            for future in [pool.submit(self._start_one, t)
                           for t in self._targets]:
                future.result()
        return {'servers': len(self._servers)}

    def stats(self):
        return {'requests': self.requests.snapshot(),
                'received': self.received.snapshot()}

    def stop(self):
        def stop_one(item):
            rpc, transport = item
            rpc.stop()
            rpc.wait()
            transport.cleanup()

        with concurrent.futures.ThreadPoolExecutor(self._threads) as pool:
            list(pool.map(stop_one, self._servers))
        self._servers = []


class FloorWorker:
    """Answers pushed requests with Zaqar's primitives only."""

    def __init__(self, spec):
        # floor imports oslo.messaging, hence eventlet: imported by a pool
        # thread, eventlet leaves that thread unjoinable and stop() hung
        # until the parent's 120 s kill. Import it here, in the main thread.
        from zaqar_trove_tests.bench import floor
        from zaqar_trove_tests.bench import rawzaqar

        self._reply_pad = floor.REPLY_PAD
        self._spec = spec
        self._http = rawzaqar.Http(spec['http'][0], spec['http'][1],
                                   spec['token'], spec['project'])
        self._pool = concurrent.futures.ThreadPoolExecutor(
            spec.get('threads', 32))
        self.received = Counter()
        self._push = rawzaqar.Push(spec['ws'], spec['token'],
                                   spec['project'], self._on_push)
        # Over the websocket, with ws_post, go the posts and the claims and
        # deletes of a claiming responder.
        self._ops = self._push if spec.get('ws_post') else self._http

    def start(self):
        self._http.ensure(self._spec['request_queue'])
        self._push.subscribe(self._spec['request_queue'])
        return {'servers': 1}

    def _on_push(self, queue, body):
        if queue != self._spec['request_queue']:
            return
        if self._spec.get('count_only'):
            self.received.add('note')
        else:
            self._pool.submit(self._answer, body)

    def _answer(self, body):
        spec = self._spec
        claimed = None
        if spec.get('claim'):
            claimed = self._claim()
            if claimed is None:
                self.received.add('lost')
                return
            body = claimed['body']
        self.received.add('echo')
        self._ops.post(spec['reply_queue'], {'id': body['id'],
                                             'pad': self._reply_pad})
        if claimed is not None:
            # After the reply: the claim hides the request meanwhile.
            self._ops.delete(spec['request_queue'], [claimed['id']])

    def _claim(self):
        """One claimed request (pushes may arrive before the store)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            messages = self._ops.claim(self._spec['request_queue'])
            if messages:
                return messages[0]
            time.sleep(0.002)
        return None

    def stats(self):
        return {'received': self.received.snapshot()}

    def stop(self):
        self._push.close()
        self._pool.shutdown(wait=True)


def _rusage():
    proc = psutil.Process()
    times = proc.cpu_times()
    return {'rss': proc.memory_info().rss, 'cpu': times.user + times.system,
            'threads': proc.num_threads()}


def _say(doc):
    sys.stdout.write(json.dumps(doc) + '\n')
    sys.stdout.flush()


def main():
    die_with_parent()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s: '
                               '%(message)s')
    spec = json.loads(sys.stdin.readline())
    before = _rusage()
    worker = (FloorWorker if spec['mode'] == 'floor' else RpcWorker)(spec)
    started = time.monotonic()
    info = worker.start()
    _say(dict(info, ready=True, start_s=time.monotonic() - started,
              pid=os.getpid(), before=before, after=_rusage()))
    for line in sys.stdin:
        doc = json.loads(line)
        cmd = doc.get('cmd')
        if cmd == 'stop':
            break
        if cmd == 'stats':
            _say(dict(worker.stats(), **_rusage()))
        elif cmd == 'wait':
            _say(worker.received.wait_for(doc['name'], doc['count'],
                                          doc['timeout']))
    worker.stop()
    _say({'stopped': True})


if __name__ == '__main__':
    main()
