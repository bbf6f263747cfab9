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


"""Zaqar's primitives with nothing on top, for the floor.

``Http`` is one keep-alive ``http.client`` connection per thread;
``Push`` one websocket that authenticates, subscribes queues and hands
each pushed body to a callback from its reader thread (it can also post
over the websocket). Both take a keystone token and project id
(``token_for``). Errors raise ``ZaqarError``: the floor is measured on a
healthy stack or not at all.
"""

import http.client
import json
import threading
import uuid

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import websocket

from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import wsrequests


class ZaqarError(Exception):
    """Zaqar answered something the floor does not expect."""


def token_for(auth_url, username, password, project, domain='Default'):
    """``(token, project_id)`` of a keystone password login."""
    auth = v3.Password(auth_url=auth_url, username=username,
                       password=password, project_name=project,
                       user_domain_name=domain, project_domain_name=domain)
    sess = ks_session.Session(auth=auth)
    return sess.get_token(), sess.get_project_id()


class Http:
    """Zaqar's v2 HTTP API; thread-safe (a connection per thread)."""

    def __init__(self, host, port, token, project_id):
        self._where = (host, port)
        self._headers = {'X-Auth-Token': token, 'X-Project-ID': project_id,
                         'Client-ID': str(uuid.uuid4()),
                         'Content-Type': 'application/json',
                         'Accept': 'application/json'}
        self._local = threading.local()

    def _conn(self):
        conn = getattr(self._local, 'conn', None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(
                *self._where, timeout=30)
        return conn

    def request(self, method, path, body=None):
        """``(status, decoded JSON or None)``; one retry on a stale link."""
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=self._headers)
                resp = conn.getresponse()
                answer = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if resp.status >= 400:
            raise ZaqarError('%s %s: %d %s' % (method, path, resp.status,
                                               answer[:200]))
        return resp.status, json.loads(answer) if answer else None

    def ensure(self, queue):
        self.request('PUT', '/v2/queues/%s' % queue, {})

    def delete_queue(self, queue):
        self.request('DELETE', '/v2/queues/%s' % queue)

    def post(self, queue, body, ttl=60):
        self.request('POST', '/v2/queues/%s/messages' % queue,
                     {'messages': [{'ttl': ttl, 'body': body}]})

    def claim(self, queue, limit=1):
        _, data = self.request('POST', '/v2/queues/%s/claims?limit=%d' % (
            queue, limit), {'ttl': 60, 'grace': 60})
        return (data or {}).get('messages') or []

    def delete(self, queue, ids):
        self.request('DELETE', '/v2/queues/%s/messages?ids=%s' % (
            queue, ','.join(ids)))

    def pop(self, queue, limit=1):
        _, data = self.request('DELETE', '/v2/queues/%s/messages?pop=%d' % (
            queue, limit))
        return (data or {}).get('messages') or []

    def list(self, queue, limit=20):
        _, data = self.request('GET', '/v2/queues/%s/messages?limit=%d'
                                      '&echo=true' % (queue, limit))
        return (data or {}).get('messages') or []


class Push:
    """One authenticated websocket: subscriptions and websocket posts.

    ``on_push(queue, body)`` runs in the reader thread for every pushed
    message. ``request(action, body)`` sends one action and waits for its
    answer; any number of threads may call it at once (answers are
    matched to requests by the driver's ``wsrequests``).
    """

    def __init__(self, url, token, project_id, on_push=None):
        self._headers = {'X-Project-ID': project_id,
                         'Client-ID': str(uuid.uuid4())}
        self._on_push = on_push or (lambda queue, body: None)
        self._pending = wsrequests.Pending()
        self._ws = websocket.create_connection(url, timeout=30,
                                               enable_multithread=True)
        self._send('authenticate', None,
                   dict(self._headers, **{'X-Auth-Token': token}))
        self._expect('authenticate', self._read())
        self._thread = threading.Thread(target=self._reader, daemon=True,
                                        name='floor-push')
        self._thread.start()

    def _send(self, action, body, headers=None):
        doc = {'action': action, 'headers': headers or self._headers}
        if body is not None:
            doc['body'] = body
        self._ws.send(json.dumps(doc))

    def _read(self):
        return json.loads(self._ws.recv())

    @staticmethod
    def _expect(action, doc):
        status = (doc.get('headers') or {}).get('status')
        if (doc.get('request') or {}).get('action') != action or \
                not 200 <= (status or 0) < 300:
            raise ZaqarError('websocket %s answered %s' % (action, doc))
        return doc

    def _reader(self):
        while True:
            try:
                doc = self._read()
            except (websocket.WebSocketException, OSError, ValueError):
                self._pending.fail_all()
                return
            if not isinstance(doc, dict):
                continue        # not a frame Zaqar sends: dropped
            if 'request' in doc:
                self._pending.answer(doc)
            else:
                self._on_push(doc.get('queue_name'), doc.get('body'))

    def request(self, action, body, timeout=30):
        """Send ``action`` and return its answer's body (a dict)."""
        request = self._pending.add()
        self._send(action, body,
                   dict(self._headers, **{wsrequests.HEADER: request.key}))
        try:
            return self._pending.finish(request, 'websocket %s' % action,
                                        timeout)
        except errors.ZaqarError as exc:
            raise ZaqarError(str(exc))

    def subscribe(self, queue, ttl=3600):
        self.request('subscription_create', {'queue_name': queue,
                                             'ttl': ttl})

    def post(self, queue, body, ttl=60):
        self.request('message_post', {
            'queue_name': queue, 'messages': [{'ttl': ttl, 'body': body}]})

    def claim(self, queue, limit=1):
        """As ``Http.claim``, over the websocket."""
        body = self.request('claim_create', {
            'queue_name': queue, 'limit': limit, 'ttl': 60, 'grace': 60})
        return body.get('messages') or []

    def delete(self, queue, ids):
        """As ``Http.delete``, over the websocket."""
        self.request('message_delete_many', {'queue_name': queue,
                                             'message_ids': list(ids)})

    def close(self):
        self._ws.abort()
        self._ws.close()
        self._thread.join(5)
