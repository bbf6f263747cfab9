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

"""The fault proxy, run as a real process in front of loopback servers."""

import http.client
import json
import select
import socket
import sys
import threading
import time

import fixtures
import testtools

from zaqar_trove_tests.common.faults import proxy as fault_proxy
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.unit.rpc import tiny_http

#: Generous: only ever reached when something is wrong.
DEADLINE = 20
UPGRADE = (b'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
           b'Connection: Upgrade\r\n\r\n')
SWITCHED = (b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
            b'Connection: Upgrade\r\n\r\n')


class RawUpstream(fixtures.Fixture):
    """Answers an upgrade with 101, then echoes bytes upper-cased.

    ``received`` holds the bytes that came after the upgrade request;
    ``push`` sends bytes unasked to every connection.
    """

    def _setUp(self):
        self.received = b''
        self.conns = []
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.addCleanup(self._close)
        threading.Thread(target=self._accept, daemon=True).start()

    def _close(self):
        self.listener.close()
        for conn in self.conns:
            conn.close()

    def _accept(self):
        try:
            while True:
                conn, _ = self.listener.accept()
                self.conns.append(conn)
                threading.Thread(target=self._serve, args=(conn,),
                                 daemon=True).start()
        except OSError:
            pass

    def _serve(self, conn):
        try:
            head = b''
            while b'\r\n\r\n' not in head:
                head += conn.recv(1)
            conn.sendall(SWITCHED)
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                self.received += data
                conn.sendall(data.upper())
        except OSError:
            pass

    def push(self, data):
        for conn in self.conns:
            conn.sendall(data)


def _recv_exactly(sock, size):
    data = b''
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


class ProxyTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.upstream = self.useFixture(
            tiny_http.TinyHttp(tiny_http.Answer(200, {'stored': True})))
        self.proxy = self._proxy(self.upstream.port)

    def _proxy(self, port):
        return self.useFixture(fault_proxy.FaultProxy('127.0.0.1', port))

    def _connection(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.proxy.port,
                                          timeout=DEADLINE)
        self.addCleanup(conn.close)
        return conn

    def _socket(self, proxy=None):
        sock = socket.create_connection(
            ('127.0.0.1', (proxy or self.proxy).port), timeout=DEADLINE)
        self.addCleanup(sock.close)
        return sock

    @staticmethod
    def _call(conn, method='POST', path='/v2/queues/q/messages', body=None):
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, response.read()

    def _wait_fault(self, key, count=1, proxy=None):
        waiters.wait_until(
            lambda: (proxy or self.proxy).stats()['faults'].get(
                key, 0) >= count, DEADLINE, 0.02, 'fault %s' % key)

    def _assert_silent(self, sock):
        """Nothing arrives and the connection is not closed."""
        sock.settimeout(0.5)
        self.assertRaises(TimeoutError, sock.recv, 1)


class TestForwarding(ProxyTestCase):

    def test_keep_alive_requests_are_forwarded(self):
        conn = self._connection()
        for method, body in (('POST', b'{"n": 1}'), ('GET', None),
                             ('POST', b'{"n": 2}'), ('DELETE', None)):
            self.assertEqual((200, b'{"stored": true}'),
                             self._call(conn, method, body=body))
        requests = self.upstream.requests
        self.assertEqual([b'{"n": 1}', b'', b'{"n": 2}', b''],
                         [r.body for r in requests])
        self.assertEqual(1, len({r.peer for r in requests}))
        self.assertEqual({'accepted': 1, 'faults': {},
                          'requests': {'POST': 2, 'GET': 1, 'DELETE': 1}},
                         self.proxy.stats())

    def test_upgrade_becomes_a_raw_pipe(self):
        raw = self.useFixture(RawUpstream())
        proxy = self._proxy(raw.port)
        proxy.add_rule('*', '.*', 'drop', count=5)
        sock = self._socket(proxy)
        sock.sendall(UPGRADE)
        self.assertEqual(SWITCHED, _recv_exactly(sock, len(SWITCHED)))
        raw.push(b'\x81\x05hello')
        self.assertEqual(b'\x81\x05hello', _recv_exactly(sock, 7))
        # Bytes that look like HTTP are no longer parsed nor matched.
        request = b'GET /x HTTP/1.1\r\n\r\n'
        sock.sendall(request)
        self.assertEqual(request.upper(),
                         _recv_exactly(sock, len(request)))
        self.assertEqual(request, raw.received)
        self.assertEqual({'accepted': 1, 'faults': {},
                          'requests': {'GET': 1}}, proxy.stats())


class TestRules(ProxyTestCase):

    def test_status_is_answered_after_upstream_stored(self):
        rule = self.proxy.add_rule('POST', '/messages$', 'status', count=2)
        conn = self._connection()
        for n in range(2):
            status, body = self._call(conn, body=b'{"n": %d}' % n)
            self.assertEqual(503, status)
            self.assertEqual('injected by fault proxy',
                             json.loads(body)['description'])
        self.assertEqual((200, b'{"stored": true}'),
                         self._call(conn, body=b'{"n": 2}'))
        self.assertEqual([b'{"n": 0}', b'{"n": 1}', b'{"n": 2}'],
                         [r.body for r in self.upstream.requests])
        stats = self.proxy.stats()
        self.assertEqual({rule + '/status': 2}, stats['faults'])
        self.assertEqual(1, stats['accepted'])

    def test_rules_match_method_and_path(self):
        self.proxy.add_rule('POST', '/messages$', 'status', status=504)
        rule = self.proxy.add_rule('*', '/claims', 'status', status=502)
        conn = self._connection()
        self.assertEqual(200, self._call(conn, 'GET')[0])
        self.assertEqual(200, self._call(conn, path='/v2/queues/q')[0])
        self.assertEqual(502, self._call(conn, 'PATCH', '/claims/c')[0])
        self.assertEqual(504, self._call(conn)[0])
        self.assertEqual(200, self._call(conn, 'GET', '/claims/c')[0])
        self.assertEqual(200, self._call(conn)[0])
        self.assertEqual(6, len(self.upstream.requests))
        self.assertEqual({'r1/status': 1, rule + '/status': 1},
                         self.proxy.stats()['faults'])

    def test_stall_keeps_the_connection_silent(self):
        rule = self.proxy.add_rule('POST', '/messages', 'stall')
        conn = self._connection()
        conn.request('POST', '/v2/queues/q/messages', body=b'{"n": 1}')
        self._wait_fault(rule + '/stall')
        self.assertEqual([b'{"n": 1}'],
                         [r.body for r in self.upstream.requests])
        conn.sock.settimeout(0.5)
        self.assertRaises(TimeoutError, conn.getresponse)

    def test_stall_ends_after_seconds(self):
        self.proxy.add_rule('POST', '/messages', 'stall', seconds=0.5)
        sock = self._socket()
        started = time.monotonic()
        sock.sendall(b'POST /v2/queues/q/messages HTTP/1.1\r\n'
                     b'Content-Length: 2\r\n\r\n{}')
        self.assertEqual(b'', sock.recv(1))
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertEqual(1, len(self.upstream.requests))

    def test_drop_closes_without_answer(self):
        rule = self.proxy.add_rule('POST', '/messages', 'drop')
        conn = self._connection()
        self.assertEqual(200, self._call(conn, 'GET')[0])
        conn.request('POST', '/v2/queues/q/messages', body=b'{"n": 1}')
        self.assertRaises(http.client.RemoteDisconnected, conn.getresponse)
        self.assertEqual([b'', b'{"n": 1}'],
                         [r.body for r in self.upstream.requests])
        self.assertEqual({rule + '/drop': 1}, self.proxy.stats()['faults'])

    def test_clear_removes_rules_and_toxics(self):
        self.proxy.add_rule('*', '.*', 'drop')
        self.proxy.toxic('refuse')
        self.proxy.clear()
        self.assertEqual(200, self._call(self._connection())[0])

    def test_bad_control_requests_raise(self):
        for args in (('POST', '.*', 'explode'), ('POST', '(', 'drop'),
                     ('POST', '.*', 'status', 0)):
            self.assertRaises(fault_proxy.FaultProxyError,
                              self.proxy.add_rule, *args)
        self.assertRaises(fault_proxy.FaultProxyError, self.proxy.toxic,
                          'flood')
        self.assertRaises(fault_proxy.FaultProxyError, self.proxy.toxic,
                          'latency', ms=10, loss=1)
        self.assertRaises(fault_proxy.FaultProxyError, self.proxy.toxic,
                          'loss', percent=101)
        self.assertEqual({}, self.proxy.stats()['faults'])


class TestToxics(ProxyTestCase):

    def test_latency_delays_each_direction(self):
        conn = self._connection()
        self.assertEqual(200, self._call(conn)[0])
        self.proxy.toxic('latency', ms=250, jitter=0)
        started = time.monotonic()
        self.assertEqual(200, self._call(conn)[0])
        self.assertGreaterEqual(time.monotonic() - started, 0.5)

    def test_loss_makes_chunks_late_by_the_rto(self):
        conn = self._connection()
        self.proxy.toxic('loss', percent=0)
        self.assertEqual(200, self._call(conn)[0])
        self.assertNotIn('loss/late', self.proxy.stats()['faults'])
        self.proxy.toxic('loss', percent=100, rto=250)
        started = time.monotonic()
        self.assertEqual(200, self._call(conn)[0])
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertEqual(2, self.proxy.stats()['faults']['loss/late'])

    def test_slow_delays_answers_not_requests(self):
        conn = self._connection()
        self.proxy.toxic('slow', seconds=3)
        started = time.monotonic()
        conn.request('POST', '/v2/queues/q/messages', body=b'{}')
        waiters.wait_until(lambda: self.upstream.requests, DEADLINE, 0.02,
                           'the request reaching upstream')
        # Upstream has answered; the client must not have it yet.
        readable, _, _ = select.select([conn.sock], [], [], 0)
        self.assertEqual([], readable, 'the answer came without delay')
        self.assertEqual(200, conn.getresponse().status)
        self.assertGreaterEqual(time.monotonic() - started, 3)

    def test_jittered_chunks_keep_their_order(self):
        raw = self.useFixture(RawUpstream())
        proxy = self._proxy(raw.port)
        sock = self._socket(proxy)
        sock.sendall(UPGRADE)
        self.assertEqual(SWITCHED, _recv_exactly(sock, len(SWITCHED)))
        proxy.toxic('latency', ms=20, jitter=20)
        sent = b''.join(b'%03d;' % n for n in range(60))
        for n in range(60):
            sock.sendall(sent[4 * n:4 * n + 4])
        self.assertEqual(sent.upper(), _recv_exactly(sock, len(sent)))
        self.assertEqual(sent, raw.received)

    def test_partition_holds_data_until_healed(self):
        raw = self.useFixture(RawUpstream())
        proxy = self._proxy(raw.port)
        sock = self._socket(proxy)
        sock.sendall(UPGRADE)
        self.assertEqual(SWITCHED, _recv_exactly(sock, len(SWITCHED)))
        proxy.toxic('partition')
        sock.sendall(b'held')
        raw.push(b'held too;')
        late = self._socket(proxy)
        late.sendall(UPGRADE)
        self._assert_silent(sock)
        self._assert_silent(late)
        self.assertEqual(b'', raw.received)
        proxy.clear_toxic('partition')
        sock.settimeout(DEADLINE)
        self.assertEqual(b'held too;HELD', _recv_exactly(sock, 13))
        self.assertEqual(SWITCHED, _recv_exactly(late, len(SWITCHED)))
        self.assertEqual({}, proxy.stats()['faults'])

    def test_half_open_silences_http_until_cleared(self):
        conn = self._connection()
        self.assertEqual(200, self._call(conn)[0])
        self.proxy.toxic('half_open')
        conn.request('POST', '/v2/queues/q/messages', body=b'{"n": 1}')
        self._wait_fault('half_open/drop')
        self.assertEqual(1, len(self.upstream.requests))
        conn.sock.settimeout(0.5)
        self.assertRaises(TimeoutError, conn.getresponse)
        self.proxy.clear_toxic('half_open')
        self.assertEqual(200, self._call(self._connection())[0])
        self.assertEqual(2, len(self.upstream.requests))

    def test_half_open_drops_raw_data_both_ways(self):
        raw = self.useFixture(RawUpstream())
        proxy = self._proxy(raw.port)
        sock = self._socket(proxy)
        sock.sendall(UPGRADE)
        self.assertEqual(SWITCHED, _recv_exactly(sock, len(SWITCHED)))
        proxy.toxic('half_open')
        sock.sendall(b'lost')
        self._wait_fault('half_open/drop', 1, proxy)
        raw.push(b'lost too')
        self._wait_fault('half_open/drop', 2, proxy)
        self._assert_silent(sock)
        proxy.clear_toxic('half_open')
        sock.sendall(b'after')
        self._wait_fault('half_open/drop', 3, proxy)
        self._assert_silent(sock)   # forgotten for good
        fresh = self._socket(proxy)
        fresh.sendall(UPGRADE)
        self.assertEqual(SWITCHED, _recv_exactly(fresh, len(SWITCHED)))
        fresh.sendall(b'new')
        self.assertEqual(b'NEW', _recv_exactly(fresh, 3))
        self.assertEqual(b'new', raw.received)

    def test_reset_all_resets_current_connections(self):
        upstream_errors = []
        self.upstream.server.handle_error = (
            lambda *args: upstream_errors.append(sys.exc_info()[0]))
        conn = self._connection()
        self.assertEqual(200, self._call(conn)[0])
        self.proxy.toxic('reset_all')
        self.assertRaises(ConnectionResetError, conn.sock.recv, 1)
        waiters.wait_until(lambda: upstream_errors, DEADLINE, 0.02,
                           'upstream connection error')
        self.assertEqual([ConnectionResetError], upstream_errors)
        self.assertEqual({'reset_all/reset': 1},
                         self.proxy.stats()['faults'])
        self.assertEqual(200, self._call(self._connection())[0])

    def test_refuse_resets_new_connections_only(self):
        conn = self._connection()
        self.assertEqual(200, self._call(conn)[0])
        self.proxy.toxic('refuse')
        # The reset may come while connecting or on the first read.
        self.assertRaises(ConnectionResetError,
                          lambda: self._socket().recv(1))
        self.assertEqual(200, self._call(conn)[0])
        self.assertEqual({'refuse/reset': 1}, self.proxy.stats()['faults'])
        self.proxy.clear_toxic('refuse')
        self.assertEqual(200, self._call(self._connection())[0])


class TestRaw(ProxyTestCase):

    def test_raw_pipes_any_protocol(self):
        raw = self.useFixture(RawUpstream())
        hello = b'AMQP\x00\x00\x09\x01\r\n\r\n'
        http_proxy = self._proxy(raw.port)
        sock = self._socket(http_proxy)
        sock.sendall(hello)
        self.assertEqual(b'', sock.recv(1), 'not HTTP: closed')
        proxy = self.useFixture(fault_proxy.FaultProxy('127.0.0.1', raw.port,
                                                       raw=True))
        sock = self._socket(proxy)
        sock.sendall(hello)
        self.assertEqual(SWITCHED, _recv_exactly(sock, len(SWITCHED)))
        sock.sendall(b'frame')
        self.assertEqual(b'FRAME', _recv_exactly(sock, 5))
        self.assertEqual({'accepted': 1, 'requests': {}, 'faults': {}},
                         proxy.stats())


class TestProcess(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.upstream = self.useFixture(tiny_http.TinyHttp())

    def test_exits_on_cleanup(self):
        proxy = fault_proxy.FaultProxy('127.0.0.1', self.upstream.port)
        proxy.setUp()
        proxy.cleanUp()
        self.assertEqual(0, proxy.process.returncode)

    def test_exits_when_stdin_closes(self):
        proxy = self.useFixture(
            fault_proxy.FaultProxy('127.0.0.1', self.upstream.port))
        proxy.process.stdin.close()
        waiters.wait_until(lambda: proxy.process.poll() is not None,
                           DEADLINE, 0.02, 'proxy exit')
        self.assertEqual(0, proxy.process.returncode)

    def test_startup_failure_names_stderr(self):
        proxy = fault_proxy.FaultProxy('127.0.0.1', 'no-port')
        error = self.assertRaises(fixtures.MultipleExceptions, proxy.setUp)
        self.assertIsInstance(error.args[0][1], fault_proxy.FaultProxyError)
        self.assertIn('HOST:PORT expected', str(error.args[0][1]))
