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

"""A scripted HTTP/1.1 server on 127.0.0.1 for the driver's error paths.

Each request takes the next ``Answer`` of ``script`` (the last one
repeats); ``requests`` records what arrived. An answer can also drop the
connection without answering, close it right after answering although
the client was promised keep-alive, or hang until the fixture stops.
"""

import http.server
import json
import threading

import fixtures

#: A reply grant of the right shape, for answering ``POST .../share``.
GRANT = {'paths': ['/v2/queues/om-r-%s/messages' % ('0' * 32)],
         'methods': ['POST'], 'project': 'p',
         'expires': '2099-01-01T00:00:00', 'signature': 'ab' * 32}


class Answer:

    def __init__(self, status=200, body=None, raw=None, drop=False,
                 close_after=False, hang=False):
        self.status = status
        self.data = raw if raw is not None else (
            b'' if body is None else json.dumps(body).encode('utf-8'))
        self.drop = drop
        self.close_after = close_after
        self.hang = hang


class Request:

    def __init__(self, method, path, headers, body, peer):
        self.peer = peer
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class TinyHttp(fixtures.Fixture):
    """Serves ``script`` in a thread; stops on cleanup."""

    def __init__(self, *script):
        super().__init__()
        self.script = list(script) or [Answer()]
        self.requests = []
        self._lock = threading.Lock()
        self._release = threading.Event()

    def _setUp(self):
        fixture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                answer = fixture._next(Request(
                    self.command, self.path, dict(self.headers), body,
                    self.client_address))
                if answer.hang:
                    fixture._release.wait(30)
                if answer.drop or answer.hang:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(answer.data)))
                self.end_headers()
                self.wfile.write(answer.data)
                if answer.close_after:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.addCleanup(self._release.set)

    def _next(self, request):
        with self._lock:
            self.requests.append(request)
            if len(self.script) > 1:
                return self.script.pop(0)
            return self.script[0]

    def answer(self, *script):
        """Replace what the server answers from now on."""
        with self._lock:
            self.script = list(script)
