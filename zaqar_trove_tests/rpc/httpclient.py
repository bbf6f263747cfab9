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

"""A small Zaqar v2 HTTP client: keep-alive ``http.client``, failover.

Thread-safe: each request checks a connection out of a pool of idle
keep-alive connections (closed when idle longer than
``http_idle_timeout``, i.e. before the server would drop them). A request
other than a POST that fails on a reused connection before any answer is
repeated once on a new connection (the server closed an idle one); any
other connection failure moves to the next host (failover), except for a
POST that was written (it may have been stored). Errors: 5xx and
connection failures raise ``errors.Unreachable`` (``sent`` when Zaqar
may have handled the request), 401/403 ``errors.AuthFailed`` (after one
retry with a fresh token), other 4xx ``errors.Rejected``; an oversized
post raises ``errors.TooLarge`` before sending. None of them carries a
header value.
"""

import http.client
import json
import ssl
import threading
import time
from urllib import parse

from oslo_serialization import jsonutils

from zaqar_trove_tests.rpc import auth as zauth
from zaqar_trove_tests.rpc import errors

JSON = 'application/json'
JSON_PATCH = 'application/openstack-messaging-v2.0-json-patch'
MAX_IDLE = 32
#: Seconds a claim hides the messages it took from other consumers.
CLAIM_TTL = 60
CLAIM_GRACE = 60
_STALE = (http.client.RemoteDisconnected, BrokenPipeError,
          ConnectionResetError, ConnectionAbortedError)


class _Written(Exception):
    """A request failed after it was written: it may have been handled."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _arm(conn, timeout):
    """Give ``conn`` (connected or not) ``timeout`` for what follows."""
    if conn.sock is not None:
        conn.sock.settimeout(timeout)
    conn.timeout = timeout


def _default(obj):
    return jsonutils.to_primitive(obj, convert_instances=True)


def dumps(obj):
    """JSON text of ``obj`` (oslo's to_primitive for anything unusual)."""
    return json.dumps(obj, default=_default, separators=(',', ':'),
                      ensure_ascii=False)


def delete_suffix(ids):
    """The path after the queue deleting messages ``ids``.

    The commas between ids stay literal: Zaqar reads ``%2C`` as part of
    one id and deletes nothing.
    """
    return '/messages?ids=' + ','.join(parse.quote(i, safe='') for i in ids)


class ZaqarClient:
    """Zaqar's v2 messages/queues API for one project (or signed grants)."""

    def __init__(self, settings, auth, client_id):
        self._settings = settings
        self._auth = auth
        self._hosts = list(settings.hosts)
        self._current = 0
        self._idle = []
        self._lock = threading.Lock()
        self._base = settings.base_path + '/v2/queues/'
        self._common = {'Client-ID': client_id, 'Accept': JSON}
        self._ssl = (self._ssl_context(settings)
                     if settings.scheme == 'https' else None)

    @staticmethod
    def _ssl_context(settings):
        ctx = ssl.create_default_context(cafile=settings.cafile or None)
        if settings.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if settings.certfile:
            ctx.load_cert_chain(settings.certfile, settings.keyfile)
        return ctx

    # -- the operations the driver uses ---------------------------------

    def encode_post(self, bodies, ttl):
        """The request body posting ``bodies``; ``TooLarge`` if too big."""
        data = dumps({'messages': [{'ttl': int(ttl), 'body': b}
                                   for b in bodies]}).encode('utf-8')
        if len(data) > self._settings.max_message_size:
            raise errors.TooLarge(
                'message of %d bytes exceeds max_message_size (%d)'
                % (len(data), self._settings.max_message_size))
        return data

    def post(self, queue, data, grant=None, timeout=None):
        """Post ``data`` (from ``encode_post``) to ``queue``."""
        self.request('POST', queue, '/messages', data, grant=grant,
                     timeout=timeout)

    def pop(self, queue, limit=1, timeout=None):
        """Take up to ``limit`` messages in one request (claim + delete).

        Only for queues with a single reader: see ``claim``.

        :returns: a list of ``{'id', 'age', 'ttl', 'body', ...}``.
        """
        _, data = self.request('DELETE', queue,
                               '/messages?pop=%d' % min(limit, 20),
                               timeout=timeout)
        return (data or {}).get('messages') or []

    def claim(self, queue, limit=1, ttl=CLAIM_TTL, grace=CLAIM_GRACE):
        """Claim up to ``limit`` messages for ``ttl`` seconds.

        Safe for competing consumers, unlike ``pop`` (Zaqar's pop claims
        for 1 s on a clock of whole seconds, so a concurrent pop can take
        the same message). Delete what was claimed with ``delete``.
        """
        _, data = self.request(
            'POST', queue, '/claims?limit=%d' % min(limit, 20),
            dumps({'ttl': ttl, 'grace': grace}).encode('utf-8'))
        return (data or {}).get('messages') or []

    def delete(self, queue, ids):
        """Delete messages by id (claimed by us, or in any state)."""
        self.request('DELETE', queue, delete_suffix(ids))

    def list(self, queue, marker=None, limit=20):
        """Non-destructive listing (echo included) after ``marker``.

        :returns: ``(messages, next_marker)``.
        """
        query = {'limit': limit, 'echo': 'true'}
        if marker:
            query['marker'] = marker
        _, data = self.request('GET', queue,
                               '/messages?' + parse.urlencode(query))
        data = data or {}
        next_marker = marker
        for link in data.get('links') or ():
            if link.get('rel') == 'next':
                found = parse.parse_qs(
                    parse.urlsplit(link.get('href', '')).query)
                next_marker = found.get('marker', [marker])[0]
        return data.get('messages') or [], next_marker

    def ensure_queue(self, queue, timeout=None):
        self.request('PUT', queue, '', b'{}', timeout=timeout)

    def delete_queue(self, queue):
        self.request('DELETE', queue, '')

    def queue_metadata(self, queue):
        _, data = self.request('GET', queue, '')
        return data or {}

    def set_metadata_key(self, queue, key, value):
        patch = [{'op': 'add', 'path': '/metadata/' + key, 'value': value}]
        self.request('PATCH', queue, '', dumps(patch).encode('utf-8'),
                     content_type=JSON_PATCH)

    def share(self, queue, paths, methods, expires, timeout=None):
        """A pre-signed URL grant (dict) for ``queue``."""
        body = {'paths': paths, 'methods': methods, 'expires': expires}
        _, data = self.request('POST', queue, '/share',
                               dumps(body).encode('utf-8'), timeout=timeout)
        return data

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for _, conn, _ in idle:
            conn.close()

    # -- plumbing --------------------------------------------------------

    def request(self, method, queue, suffix, data=None, grant=None,
                timeout=None, content_type=JSON):
        """One API request; returns ``(status, decoded JSON or None)``."""
        path = self._base + parse.quote(queue, safe='') + suffix
        headers = dict(self._common)
        if data is not None:
            headers['Content-Type'] = content_type
        what = '%s %s on queue %s' % (method, suffix.split('?')[0] or '/',
                                      queue)
        for attempt in (1, 2):
            if grant is not None:
                headers.update(zauth.grant_headers(grant))
            else:
                headers.update(self._auth.headers(
                    queue, method, suffix.split('?')[0].strip('/')))
            status, answer = self._failover(method, path, data, headers,
                                            timeout, what)
            if status == 401 and grant is None and attempt == 1:
                self._auth.invalidate()
                continue
            break
        return self._result(status, answer, what)

    def _result(self, status, answer, what):
        if 200 <= status < 300:
            return status, self._decode(answer, what)
        raise errors.for_status(status, what, self._reason(answer))

    def send(self, method, queue, suffix):
        """Write one request (no body) now; read its answer later.

        For an acknowledgement that must leave before the work it
        acknowledges starts -- once written, the kernel sends it even if
        the process is killed -- but whose answer nobody waits for. The
        current host only, no retry.

        :returns: ``finish()``, which reads the answer and returns or
            raises as ``request`` does.
        :raises Unreachable: the request could not be written.
        """
        path = self._base + parse.quote(queue, safe='') + suffix
        kind = suffix.split('?')[0]
        what = '%s %s on queue %s' % (method, kind or '/', queue)
        headers = dict(self._common)
        headers.update(self._auth.headers(queue, method, kind.strip('/')))
        index = self._current
        timeout = self._settings.http_timeout
        conn, reused = self._checkout(index)
        while True:
            try:
                _arm(conn, timeout)
                conn.request(method, path, headers=headers)
                break
            except _STALE as exc:
                conn.close()
                if not reused:
                    raise errors.Unreachable('%s: Zaqar unreachable (%s)' % (
                        what, type(exc).__name__))
                conn, reused = self._connect(index), False
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise errors.Unreachable('%s: Zaqar unreachable (%s)' % (
                    what, type(exc).__name__))

        def finish():
            try:
                resp = conn.getresponse()
                answer = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise errors.Unreachable('%s: Zaqar unreachable (%s)' % (
                    what, type(exc).__name__))
            self._release(index, conn, resp)
            return self._result(resp.status, answer, what)

        return finish

    @staticmethod
    def _decode(answer, what):
        if not answer:
            return None
        try:
            return json.loads(answer)
        except (ValueError, RecursionError):
            raise errors.Unreachable('%s: the answer is not JSON' % what)

    @staticmethod
    def _reason(answer):
        try:
            doc = json.loads(answer)
            text = doc.get('description') or doc.get('title')
        except (ValueError, AttributeError, TypeError, RecursionError):
            return ''
        return ': %s' % text if text else ''

    def _failover(self, method, path, data, headers, timeout, what):
        """Try each host in turn, but a POST only until it was written.

        A POST Zaqar may have stored raises ``Unreachable(sent=True)``:
        the caller decides what a repeat means (``driver.post``).
        """
        timeout = min(timeout or self._settings.http_timeout,
                      self._settings.http_timeout)
        last = None
        for step in range(len(self._hosts)):
            index = (self._current + step) % len(self._hosts)
            try:
                result = self._on_host(index, method, path, data, headers,
                                       max(timeout, 0.05))
            except _Written as exc:
                last = exc.error
                if method == 'POST':
                    raise errors.Unreachable(
                        '%s: no answer from Zaqar (%s)' % (
                            what, type(last).__name__), sent=True)
                continue
            except (OSError, http.client.HTTPException) as exc:
                last = exc
                continue
            self._current = index
            return result
        raise errors.Unreachable('%s: Zaqar unreachable (%s)' % (
            what, type(last).__name__))

    def _on_host(self, index, method, path, data, headers, timeout):
        """One request on one host.

        :raises _Written: it failed once written, on a new connection:
            Zaqar may have handled it.
        """
        conn, reused = self._checkout(index)
        while True:
            try:
                _arm(conn, timeout)
                conn.request(method, path, body=data, headers=headers)
            except _STALE:
                conn.close()
                if not reused:
                    raise
                conn, reused = self._connect(index), False
                continue
            except BaseException:
                conn.close()
                raise
            try:
                resp = conn.getresponse()
                answer = resp.read()
            except _STALE as exc:
                conn.close()
                if not reused or method == 'POST':
                    # Perhaps the server closed an idle connection before
                    # it read the request, perhaps after it stored a post.
                    raise _Written(exc)
                conn, reused = self._connect(index), False
                continue
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise _Written(exc)
            except BaseException:
                conn.close()
                raise
            self._release(index, conn, resp)
            return resp.status, answer

    def _release(self, index, conn, resp):
        """After an answer: keep ``conn`` for reuse unless it closes."""
        if resp.will_close:
            conn.close()
        else:
            self._checkin(index, conn)

    def _connect(self, index):
        host, port = self._hosts[index]
        if self._ssl is not None:
            return http.client.HTTPSConnection(host, port, context=self._ssl)
        return http.client.HTTPConnection(host, port)

    def _checkout(self, index):
        now = time.monotonic()
        stale = []
        found = None
        with self._lock:
            while self._idle:
                host, conn, used = self._idle.pop()
                if (host == index and
                        now - used < self._settings.http_idle_timeout):
                    found = conn
                    break
                stale.append(conn)
        for conn in stale:
            conn.close()
        if found is not None:
            return found, True
        return self._connect(index), False

    def _checkin(self, index, conn):
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append((index, conn, time.monotonic()))
                return
        conn.close()
