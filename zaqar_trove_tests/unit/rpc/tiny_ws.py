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


"""A scripted websocket server on 127.0.0.1 speaking Zaqar's protocol.

Enough of Zaqar's websocket API for the push client: ``authenticate``
(``auth_statuses``), ``subscription_create`` (201, ids ``sub-1``...) and
``subscription_delete`` (204) are answered, other actions as
``answers`` says (``{action: (status, body)}``; 400 for any other)
unless ``silent`` names them (never answered); every request is recorded
with the number of the connection it came on. ``drop()`` closes the
open connections (the client reconnects).
"""

import asyncio
import json
import threading

from autobahn.asyncio import websocket
import fixtures
import txaio


class _Protocol(websocket.WebSocketServerProtocol):

    def onOpen(self):
        self.factory.owner.opened(self)

    def onMessage(self, payload, is_binary):
        self.factory.owner.received(self, json.loads(payload))


class TinyWs(fixtures.Fixture):
    """Serves in a thread of its own; stops on cleanup."""

    def _setUp(self):
        #: Statuses of the next authentications (the last one repeats).
        self.auth_statuses = [200]
        self.answers = {}
        self.silent = set()
        self.requests = []
        self.connections = []
        self._subs = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        txaio.use_asyncio()
        txaio.config.loop = self._loop
        factory = websocket.WebSocketServerFactory(loop=self._loop)
        factory.protocol = _Protocol
        factory.owner = self
        server = self._loop.run_until_complete(
            self._loop.create_server(factory, '127.0.0.1', 0))
        self.port = server.sockets[0].getsockname()[1]
        self.url = 'ws://127.0.0.1:%d' % self.port
        thread = threading.Thread(target=self._loop.run_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self._loop.call_soon_threadsafe, self._loop.stop)
        self.addCleanup(self.drop)

    def opened(self, proto):
        with self._lock:
            self.connections.append(proto)

    def received(self, proto, doc):
        action = doc.get('action')
        with self._lock:
            number = self.connections.index(proto) + 1
            self.requests.append((number, doc))
            if action in self.silent:
                return
            status, body = self.answers.get(action, (400, None))
            status = {'authenticate': self.auth_statuses[0],
                      'subscription_create': 201,
                      'subscription_delete': 204}.get(action, status)
            if action == 'authenticate' and len(self.auth_statuses) > 1:
                self.auth_statuses.pop(0)
            if action == 'subscription_create':
                self._subs += 1
                body = {'subscription_id': 'sub-%d' % self._subs}
        proto.sendMessage(json.dumps({
            'request': {'action': action, 'body': doc.get('body'),
                        'headers': doc.get('headers')},
            'headers': {'status': status}, 'body': body}).encode())

    def actions(self, action):
        """``[(connection number, request)]`` of one action."""
        with self._lock:
            return [(n, doc) for n, doc in self.requests
                    if doc.get('action') == action]

    def push(self, queue, body):
        """Push ``body`` as posted to ``queue`` on every connection."""
        data = json.dumps({'queue_name': queue, 'body': body}).encode()
        with self._lock:
            protos = list(self.connections)
        for proto in protos:
            self._loop.call_soon_threadsafe(proto.sendMessage, data)

    def drop(self):
        with self._lock:
            protos = list(self.connections)
        for proto in protos:
            self._loop.call_soon_threadsafe(proto.dropConnection, True)
