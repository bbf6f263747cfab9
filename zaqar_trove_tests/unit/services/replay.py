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

"""Tiny loopback servers replaying recorded Zaqar responses.

``HTTPReplay`` answers each HTTP request with the next recorded response
and keeps what it received. ``WebsocketReplay`` speaks just enough of RFC
6455 (text frames, ping, close) to hand each request to a handler and
send back whatever frames the handler returns, in that order. Both stop
when the fixture is cleaned up.
"""

import base64
import collections
import hashlib
from http import server as http_server
import json
import socket
import struct
import threading

import fixtures

_WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


class HTTPReplay(fixtures.Fixture):
    """Serve ``responses`` (recorded dicts) one per request, in order."""

    def __init__(self, responses):
        super().__init__()
        self.responses = collections.deque(responses)
        self.received = []

    def _setUp(self):
        replay = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                replay.received.append({
                    'method': self.command,
                    'path': self.path,
                    'headers': dict(self.headers.items()),
                    'body': json.loads(body) if body else None,
                })
                if not replay.responses:
                    self.send_error(500, 'no recorded response left')
                    return
                response = replay.responses.popleft()
                payload = b''
                if response['body'] is not None:
                    payload = json.dumps(response['body']).encode()
                self.send_response(response['status'])
                for name, value in response['headers'].items():
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve
            do_HEAD = _serve

            def log_message(self, *args):
                pass

        server = http_server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={'poll_interval': 0.05},
                                  daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(thread.join, 5)
        self.addCleanup(server.shutdown)
        self.url = 'http://127.0.0.1:%d' % server.server_address[1]


def _recv_exact(conn, count):
    data = b''
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionError('peer closed')
        data += chunk
    return data


def _send_frame(conn, payload, opcode=0x1):
    header = bytes([0x80 | opcode])
    length = len(payload)
    if length < 126:
        header += bytes([length])
    elif length < 1 << 16:
        header += bytes([126]) + struct.pack('!H', length)
    else:
        header += bytes([127]) + struct.pack('!Q', length)
    conn.sendall(header + payload)


def _recv_frame(conn):
    first, second = _recv_exact(conn, 2)
    opcode, length = first & 0x0f, second & 0x7f
    if length == 126:
        length = struct.unpack('!H', _recv_exact(conn, 2))[0]
    elif length == 127:
        length = struct.unpack('!Q', _recv_exact(conn, 8))[0]
    mask = _recv_exact(conn, 4) if second & 0x80 else b'\0\0\0\0'
    data = _recv_exact(conn, length)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class WebsocketReplay(fixtures.Fixture):
    """A websocket server whose replies come from ``handler(request)``.

    ``handler`` gets each decoded request and returns a list of frames
    (dicts) to send, possibly none. ``received`` lists the requests,
    ``close_codes`` the close frames clients sent. ``drop_all()`` cuts
    every connection abruptly.
    """

    def __init__(self, handler):
        super().__init__()
        self.handler = handler
        self.received = []
        self.close_codes = []
        self._conns = []
        self._threads = []

    def _setUp(self):
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.url = 'ws://127.0.0.1:%d' % self._listener.getsockname()[1]
        acceptor = threading.Thread(target=self._accept, daemon=True)
        acceptor.start()
        self.addCleanup(self._stop, acceptor)

    def _stop(self, acceptor):
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        acceptor.join(5)
        self.drop_all()
        for thread in self._threads:
            thread.join(5)

    def drop_all(self):
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,),
                                      daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handshake(self, conn):
        request = b''
        while b'\r\n\r\n' not in request:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError('no handshake')
            request += chunk
        key = [line.split(b':', 1)[1].strip()
               for line in request.split(b'\r\n')
               if line.lower().startswith(b'sec-websocket-key:')][0]
        accept = base64.b64encode(hashlib.sha1(
            key + _WS_GUID.encode()).digest())
        conn.sendall(b'HTTP/1.1 101 Switching Protocols\r\n'
                     b'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                     b'Sec-WebSocket-Accept: ' + accept + b'\r\n\r\n')

    def _serve(self, conn):
        try:
            self._handshake(conn)
            while True:
                opcode, data = _recv_frame(conn)
                if opcode == 0x8:
                    self.close_codes.append(
                        struct.unpack('!H', data[:2])[0] if data else None)
                    _send_frame(conn, data, opcode=0x8)
                    return
                if opcode == 0x9:
                    _send_frame(conn, data, opcode=0xA)
                    continue
                request = json.loads(data)
                self.received.append(request)
                for frame in self.handler(request):
                    self.send(conn, frame)
        except (ConnectionError, OSError, ValueError):
            return

    @staticmethod
    def send(conn, frame):
        _send_frame(conn, json.dumps(frame).encode())
