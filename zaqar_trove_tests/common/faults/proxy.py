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

"""A loopback fault proxy, run as a process of its own, and its fixture.

The Toxiproxy model, kept small: the proxy listens on 127.0.0.1 and
forwards each client connection over a connection of its own to one
upstream (Zaqar's HTTP or websocket API), faithfully unless told to
inject a fault. ``python -m zaqar_trove_tests.common.faults.proxy
--upstream HOST:PORT [--raw] [--listen-port 0] [--control-port 0]``
prints ``{"listen": PORT, "control": PORT}`` once ready and exits when
its stdin reaches EOF, so it never outlives its parent. Only the
standard library (and ``fixtures``, for the fixture) is needed.

HTTP/1.1: each request (Content-Length or chunked body) is forwarded and
upstream's whole answer (Content-Length, chunked, or until EOF) read
before it is relayed; keep-alive is kept. A request with ``Upgrade:
websocket`` is forwarded and its connection becomes a raw two-way pipe:
no rule applies to it or after it. With ``--raw`` (any protocol, e.g.
AMQP) every connection is such a pipe from its first byte. ``Expect:
100-continue`` is not supported.

Rules match the method (``*``: any) and ``re.search`` the request target
(path and query); the first matching rule takes the request and is spent
after ``count`` requests. Upstream always gets the request and answers;
then, instead of relaying the answer:

- ``status``: the client hears ``status`` and a JSON body ``{"title":
  ..., "description": "injected by fault proxy"}``; keep-alive goes on.
- ``stall``: the client hears nothing; what it sends is discarded until
  it closes, ``seconds`` pass (None: never) or the proxy stops; then the
  connection is closed (FIN).
- ``drop``: the client connection is closed (FIN) without an answer.

Toxics act on every connection, HTTP or raw. A chunk read from one
side is written to the other when it is due; chunks of one direction
keep their order (as TCP does), so a late chunk holds back the ones
behind it:

- ``latency`` (``ms``, ``jitter``): each chunk, in each direction, is due
  ``ms`` +/- up to ``jitter`` ms (at least 0) after it was read.
- ``loss`` (``percent``, ``rto``): a userland proxy cannot drop a TCP
  segment without breaking the stream, so it shows what the endpoints
  of a lossy path see: ``percent`` % of the chunks arrive ``rto`` ms
  (default 200, Linux's minimum retransmission timeout) late.
- ``slow`` (``seconds``): whatever upstream sends is due ``seconds``
  late; an HTTP answer is relayed whole, so each request takes that
  much longer (a slow API), and the client side is not delayed.
- ``partition``: nothing is written either way until it is cleared, then
  everything held is, in order (TCP retransmits across a partition that
  heals); new connections are accepted and held alike.
- ``half_open``: a silent drop, as when a NAT or firewall forgets the
  connections. Data is read and discarded in both directions; the proxy
  closes nothing of its own accord (a close by a peer is still passed
  on). Once cleared, new connections are forwarded; a connection that
  lost data stays silent for good (TCP cannot skip bytes), until its
  peers give up on it.
- ``reset_all``: an action, not a state: every current connection is
  closed now with RST (SO_LINGER 0), on both sides.
- ``refuse``: new connections are accepted and closed at once with RST;
  current ones are unaffected.

Control (HTTP + JSON on 127.0.0.1; bad input answers 400): ``POST
/faults`` ``{"method", "path", "action", "count", "status", "seconds"}``
answers ``{"id": "r1"}``; ``DELETE /faults`` clears every rule and toxic;
``POST /toxics/NAME`` (parameters as the body) and ``DELETE
/toxics/NAME``; ``GET /stats`` answers ``{"accepted": N, "requests":
{METHOD: N}, "faults": {"r1/status": N, "half_open/drop": N,
"loss/late": N, "reset_all/reset": N, "refuse/reset": N}}`` (refused
connections are counted as accepted too).
"""

import argparse
import http.client
import http.server
import json
import queue
import random
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import fixtures

MODULE = 'zaqar_trove_tests.common.faults.proxy'
HOST = '127.0.0.1'
ACTIONS = ('status', 'stall', 'drop')
TOXICS = {'latency': {'ms', 'jitter'}, 'loss': {'percent', 'rto'},
          'slow': {'seconds'}, 'partition': set(), 'half_open': set(),
          'reset_all': set(), 'refuse': set()}
#: Delay (ms) of a lost chunk unless the loss toxic names its ``rto``.
DEFAULT_RTO = 200
_MAX_HEAD = 65536


class _Closed(Exception):
    """A peer closed, or the connection is being reset."""


class _Reader:
    """Buffered reads of HTTP framing from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise _Closed()
        self.buf += data

    def until(self, marker):
        while marker not in self.buf:
            if len(self.buf) > _MAX_HEAD:
                raise _Closed('header too long')
            self._fill()
        end = self.buf.index(marker) + len(marker)
        data, self.buf = self.buf[:end], self.buf[end:]
        return data

    def exact(self, size):
        while len(self.buf) < size:
            self._fill()
        data, self.buf = self.buf[:size], self.buf[size:]
        return data

    def body(self, headers, until_eof):
        """The body framed by headers (lower-cased names)."""
        if 'chunked' in headers.get('transfer-encoding', '').lower():
            return self._chunks()
        if 'content-length' in headers:
            return self.exact(int(headers['content-length']))
        if not until_eof:
            return b''
        try:
            while True:
                self._fill()
        except _Closed:
            data, self.buf = self.buf, b''
            return data

    def _chunks(self):
        data = b''
        while True:
            line = self.until(b'\r\n')
            size = int(line.split(b';')[0], 16)
            data += line
            if not size:
                break
            data += self.exact(size + 2)
        while not data.endswith(b'\r\n\r\n'):
            data += self.until(b'\r\n')
        return data


def _read_head(reader):
    """Return (head bytes, first line words, lower-cased headers)."""
    head = reader.until(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return head, lines[0].split(' ', 2), headers


def _injected(status, closing):
    """An HTTP answer with ``status`` and a small JSON body."""
    title = http.client.responses.get(status, 'Injected')
    body = json.dumps({'title': title,
                       'description': 'injected by fault proxy'})
    return ('HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n'
            'Content-Length: %d\r\n%s\r\n%s' % (
                status, title, len(body),
                'Connection: close\r\n' if closing else '', body)
            ).encode('utf-8')


def _reset(sock):
    """Make close() send RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack('ii', 1, 0))


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.killed = False
        self.forgotten = False   # half_open swallowed some of its data
        self.closed = False
        self.lock = threading.Lock()

    def reset(self):
        """Mark for RST and wake the threads blocked on its sockets."""
        with self.lock:
            if self.closed:
                return
            self.killed = True
            for sock in (self.client, self.upstream):
                try:
                    _reset(sock)
                    sock.shutdown(socket.SHUT_RD)   # sends nothing
                except OSError:
                    pass

    def close(self):
        with self.lock:
            self.closed = True
            self.client.close()
            self.upstream.close()


class Proxy:
    """The forwarding and the fault state; thread-safe."""

    def __init__(self, upstream, raw=False):
        self.upstream = upstream
        self.raw = raw
        self.healed = threading.Event()   # clear while partitioned
        self.healed.set()
        self.lock = threading.Lock()
        self.rules = []
        self.toxics = {}
        self.links = set()
        self.serial = 0
        self.counts = {'accepted': 0, 'requests': {}, 'faults': {}}

    def _count(self, group, key):
        with self.lock:
            self.counts[group][key] = self.counts[group].get(key, 0) + 1

    def stats(self):
        with self.lock:
            return {'accepted': self.counts['accepted'],
                    'requests': dict(self.counts['requests']),
                    'faults': dict(self.counts['faults'])}

    def add_rule(self, method, path, action, count=1, status=503,
                 seconds=None):
        if action not in ACTIONS:
            raise ValueError('action must be one of %s' % (ACTIONS,))
        if int(count) < 1 or not 100 <= int(status) <= 599:
            raise ValueError('count must be >= 1, status an HTTP status')
        rule = {'method': method.upper(), 'regex': re.compile(path),
                'action': action, 'count': int(count),
                'status': int(status),
                'seconds': None if seconds is None else float(seconds)}
        with self.lock:
            self.serial += 1
            rule['id'] = 'r%d' % self.serial
            self.rules.append(rule)
        return rule['id']

    def _take_rule(self, method, target):
        with self.lock:
            for rule in self.rules:
                if (rule['method'] in ('*', method) and
                        rule['regex'].search(target)):
                    rule['count'] -= 1
                    if not rule['count']:
                        self.rules.remove(rule)
                    return rule

    def set_toxic(self, name, params):
        if name not in TOXICS or set(params) - TOXICS[name]:
            raise ValueError('toxics and their parameters: %s' % (
                {k: sorted(v) for k, v in TOXICS.items()},))
        if any(float(v) < 0 for v in params.values()):
            raise ValueError('toxic parameters must be >= 0')
        if float(params.get('percent', 0)) > 100:
            raise ValueError('loss percent must be <= 100')
        if name == 'reset_all':
            with self.lock:
                links = list(self.links)
            for link in links:
                link.reset()
                self._count('faults', 'reset_all/reset')
            return
        with self.lock:
            self.toxics[name] = {k: float(v) for k, v in params.items()}
            if name == 'partition':
                self.healed.clear()

    def clear(self, name=None):
        with self.lock:
            if name is None:
                self.rules.clear()
                self.toxics.clear()
            else:
                self.toxics.pop(name, None)
            if 'partition' not in self.toxics:
                self.healed.set()

    def _delay(self, to_client):
        """Seconds a chunk read now waits before it is due."""
        ms = 0.0
        latency = self.toxics.get('latency')
        if latency:
            jitter = latency.get('jitter', 0)
            ms += max(0.0, latency.get('ms', 0) +
                      random.uniform(-jitter, jitter))
        loss = self.toxics.get('loss')
        if loss and random.uniform(0, 100) < loss.get('percent', 0):
            self._count('faults', 'loss/late')
            ms += loss.get('rto', DEFAULT_RTO)
        slow = self.toxics.get('slow')
        if slow and to_client:
            ms += slow.get('seconds', 0) * 1000.0
        return ms / 1000.0

    def _send(self, link, sock, data):
        """Write a due chunk; False if half_open swallowed it."""
        while not self.healed.wait(0.1):
            if link.killed:
                break
        if link.killed:
            raise _Closed('reset')
        if 'half_open' in self.toxics or link.forgotten:
            link.forgotten = True
            self._count('faults', 'half_open/drop')
            return False
        sock.sendall(data)
        return True

    def _deliver(self, link, sock, data):
        """Send a whole HTTP message through the toxics (see _send)."""
        time.sleep(self._delay(sock is link.client))
        return self._send(link, sock, data)

    def accept_forever(self, listener):
        while True:
            client, _ = listener.accept()
            with self.lock:
                self.counts['accepted'] += 1
            if 'refuse' in self.toxics:
                self._count('faults', 'refuse/reset')
                _reset(client)
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,),
                             daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        link = _Link(client, upstream)
        with self.lock:
            self.links.add(link)
        try:
            if self.raw:
                self._pipe(link)
            else:
                self._serve_http(link)
        except (_Closed, OSError, ValueError, IndexError):
            pass
        finally:
            with self.lock:
                self.links.discard(link)
            link.close()

    def _serve_http(self, link):
        client, upstream = _Reader(link.client), _Reader(link.upstream)
        while True:
            if not client.buf:
                ready, _, _ = select.select([link.client, link.upstream],
                                            [], [])
                if link.client not in ready:
                    return   # upstream closed (or spoke unasked)
            head, (method, target, _), headers = _read_head(client)
            self._count('requests', method)
            if 'websocket' in headers.get('upgrade', '').lower():
                self._deliver(link, link.upstream, head + client.buf)
                return self._pipe(link)
            request = head + client.body(headers, False)
            if not self._deliver(link, link.upstream, request):
                continue
            rule = self._take_rule(method, target)
            answer, closing = self._read_answer(upstream, method)
            if rule is None:
                self._deliver(link, link.client, answer)
            elif not self._inject(link, rule, closing):
                return
            if closing:
                return

    @staticmethod
    def _read_answer(upstream, method):
        """Return (whole answer, whether upstream closes after it)."""
        head, (_, status, *_), headers = _read_head(upstream)
        if method == 'HEAD' or status[0] == '1' or status in ('204', '304'):
            return head, 'close' in headers.get('connection', '').lower()
        framed = 'content-length' in headers or 'chunked' in headers.get(
            'transfer-encoding', '').lower()
        closing = not framed or 'close' in headers.get(
            'connection', '').lower()
        return head + upstream.body(headers, True), closing

    def _inject(self, link, rule, closing):
        """Apply rule instead of relaying; False if the link must end."""
        self._count('faults', '%s/%s' % (rule['id'], rule['action']))
        if rule['action'] == 'status':
            self._deliver(link, link.client,
                          _injected(rule['status'], closing))
            return True
        if rule['action'] == 'stall':
            self._stall(link, rule['seconds'])
        return False

    @staticmethod
    def _stall(link, seconds):
        """Read and discard until the client closes or seconds pass."""
        deadline = time.monotonic() + (1e9 if seconds is None else seconds)
        try:
            while not link.killed:
                link.client.settimeout(
                    max(0.001, deadline - time.monotonic()))
                if not link.client.recv(65536):
                    return
        except TimeoutError:
            pass

    def _pipe(self, link):
        """Forward raw bytes both ways until both directions end."""
        back = threading.Thread(target=self._copy, daemon=True,
                                args=(link, link.upstream, link.client))
        back.start()
        self._copy(link, link.client, link.upstream)
        back.join()

    def _copy(self, link, src, dst):
        """Read src until it ends; a thread writes each chunk when due."""
        line = queue.SimpleQueue()
        writer = threading.Thread(target=self._write_line, daemon=True,
                                  args=(link, line, src, dst))
        writer.start()
        due = 0.0
        try:
            while True:
                data = src.recv(65536)
                if not data or link.killed:
                    break
                due = max(due, time.monotonic() +
                          self._delay(dst is link.client))
                line.put((due, data))
        except OSError:
            self._wake(link, src, dst)
        line.put((due, None))
        writer.join()

    def _write_line(self, link, line, src, dst):
        try:
            while True:
                due, data = line.get()
                time.sleep(max(0.0, due - time.monotonic()))
                if data is None:
                    if not link.killed:
                        dst.shutdown(socket.SHUT_WR)
                    return
                self._send(link, dst, data)
        except (_Closed, OSError):
            self._wake(link, src, dst)

    @staticmethod
    def _wake(link, src, dst):
        """Unblock both directions of a broken pipe (unless reset)."""
        if not link.killed:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Control(http.server.BaseHTTPRequestHandler):
    """The control API; self.server.proxy is the Proxy."""

    def log_message(self, *args):
        pass

    def _handle(self):
        proxy = self.server.proxy
        length = int(self.headers.get('Content-Length') or 0)
        params = json.loads(self.rfile.read(length) or b'{}')
        route = (self.command,) + tuple(self.path.strip('/').split('/'))
        if route == ('GET', 'stats'):
            return 200, proxy.stats()
        if route == ('POST', 'faults'):
            return 201, {'id': proxy.add_rule(**params)}
        if route == ('DELETE', 'faults'):
            return 200, proxy.clear()
        if route[1:2] == ('toxics',) and len(route) == 3:
            if self.command == 'POST':
                return 200, proxy.set_toxic(route[2], params)
            if self.command == 'DELETE':
                return 200, proxy.clear(route[2])
        return 404, {'error': 'no such resource: %s %s' % route[:2]}

    def _reply(self):
        try:
            status, result = self._handle()
        except (ValueError, TypeError, AttributeError, re.error) as exc:
            status, result = 400, {'error': str(exc)}
        data = json.dumps(result).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _reply


def _address(text):
    host, _, port = text.rpartition(':')
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError('HOST:PORT expected: %r' % text)
    return host, int(port)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--upstream', required=True, type=_address,
                        help='HOST:PORT')
    parser.add_argument('--raw', action='store_true',
                        help='pipe bytes, no HTTP parsing (e.g. AMQP)')
    parser.add_argument('--listen-port', type=int, default=0)
    parser.add_argument('--control-port', type=int, default=0)
    args = parser.parse_args(argv)
    proxy = Proxy(args.upstream, raw=args.raw)
    listener = socket.create_server((HOST, args.listen_port))
    control = http.server.ThreadingHTTPServer((HOST, args.control_port),
                                              _Control)
    control.daemon_threads = True
    control.proxy = proxy
    threading.Thread(target=proxy.accept_forever, args=(listener,),
                     daemon=True).start()
    threading.Thread(target=control.serve_forever, daemon=True).start()
    print(json.dumps({'listen': listener.getsockname()[1],
                      'control': control.server_address[1]}), flush=True)
    sys.stdin.buffer.read()   # until the parent closes it or dies


class FaultProxyError(Exception):
    """The proxy did not start, or refused a control request."""


class FaultProxy(fixtures.Fixture):
    """A fault proxy process in front of upstream; clients use .port.

    :param upstream_host: where the proxy connects, e.g. '127.0.0.1'.
    :param upstream_port: the upstream port.
    :param timeout: seconds to wait for the process to be ready.
    :param raw: pipe bytes without HTTP parsing (any protocol).
    """

    host = HOST

    def __init__(self, upstream_host, upstream_port, timeout=20, raw=False):
        super().__init__()
        self.upstream = '%s:%s' % (upstream_host, upstream_port)
        self.timeout = timeout
        self.raw = raw

    def _setUp(self):
        stderr = tempfile.TemporaryFile()
        self.addCleanup(stderr.close)
        self.process = subprocess.Popen(
            [sys.executable, '-m', MODULE, '--upstream', self.upstream] +
            (['--raw'] if self.raw else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        self.addCleanup(self._stop)
        ready, _, _ = select.select([self.process.stdout], [], [],
                                    self.timeout)
        line = self.process.stdout.readline() if ready else b''
        try:
            ports = json.loads(line)
            self.port, self.control_port = ports['listen'], ports['control']
        except (ValueError, TypeError, KeyError):
            stderr.seek(0)
            raise FaultProxyError(
                'fault proxy for %s not ready within %s s (stdout %r, exit '
                'status %s); stderr: %s' % (
                    self.upstream, self.timeout, line, self.process.poll(),
                    stderr.read().decode('utf-8', 'replace')))

    def _stop(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def _call(self, method, path, params=None):
        conn = http.client.HTTPConnection(self.host, self.control_port,
                                          timeout=5)
        try:
            conn.request(method, path, body=json.dumps(params or {}),
                         headers={'Content-Type': 'application/json'})
            response = conn.getresponse()
            result = json.loads(response.read() or b'null')
        finally:
            conn.close()
        if response.status >= 400:
            raise FaultProxyError('%s %s: %s %s' % (
                method, path, response.status, result))
        return result

    def add_rule(self, method, path_regex, action, count=1, status=503,
                 seconds=None):
        """Add an HTTP rule (see the module docstring); return its id."""
        return self._call('POST', '/faults', {
            'method': method, 'path': path_regex, 'action': action,
            'count': count, 'status': status, 'seconds': seconds})['id']

    def clear(self):
        """Remove every rule and toxic."""
        self._call('DELETE', '/faults')

    def stats(self):
        """Return the proxy's counts (see the module docstring)."""
        return self._call('GET', '/stats')

    def toxic(self, name, **params):
        """Turn a toxic on (reset_all acts at once)."""
        self._call('POST', '/toxics/%s' % name, params)

    def clear_toxic(self, name):
        """Turn a toxic off."""
        self._call('DELETE', '/toxics/%s' % name)


if __name__ == '__main__':
    main()
