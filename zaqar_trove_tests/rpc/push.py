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

"""Push through Zaqar's websocket API: one connection and thread per driver.

``subscribe(queue, callback)`` creates a websocket subscription (Zaqar
then pushes every message posted to the queue to this connection) and
calls ``callback(body)`` from the push thread for each pushed message, and
``callback(None)`` whenever the subscription (re)starts, so the consumer
catches up on what it may have missed. A push is only a hint for queues
with competing readers: Zaqar pushes before it stores, and the message
stays in the queue until someone removes it.

With keystone auth the connection authenticates again with a new token
shortly before its token expires (Zaqar would close it then), keeping
its subscriptions. The thread reconnects, after a pause of
``backoff.Backoff`` (jittered by +-50 %, restarted by a connection that
worked) and to the next ``websocket_url``, when the connection breaks,
Zaqar closes it (e.g. a token expired), or half of
``push_subscription_ttl`` has passed; then it authenticates again
(keystone/token), re-subscribes every queue and deletes the previous
connection's subscriptions (else Zaqar's notifier would post every
message to the gone connection until they expire). Pings detect dead
connections. Callbacks must be quick; they run in this thread.

Several ``websocket_url``s: each driver starts at one chosen uniformly at
random (``failover_order``), then fails over along the list in its order
from there, wrapping around; so many guests and conductors spread over
the websocket servers instead of all loading the first.

The open connection also carries requests (``send``, ``claim``,
``send_delete``): a claim or a delete over the websocket costs Zaqar's
websocket server a fraction of what an HTTP request costs its API
(measured: ~1.3 ms of CPU against ~4 ms). Answers are matched to their
requests by a header (``wsrequests``); a connection that ends fails
every request still waiting, and callers fall back to HTTP. A request
left unanswered for ``http_timeout`` shows a connection that may be
half-open: the rest of its life, requests go over HTTP (the pings decide
when it is replaced).

Shared state: ``PushClient._lock`` guards ``_callbacks``, ``_sub_ids``,
``_ws``, ``_thread``, ``_connected_at``, ``_suspect`` and ``_answering``
(consumers' threads subscribe, send requests, ask ``healthy`` and report
lags; the push thread connects);
everything else of a connection is the push thread's own.
"""

import functools
import json
import logging
import random
import ssl
import threading
import time

import websocket

from zaqar_trove_tests.rpc import backoff
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import wsrequests

LOG = logging.getLogger(__name__)

_OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT
_OPCODE_BINARY = websocket.ABNF.OPCODE_BINARY
_OPCODE_CLOSE = websocket.ABNF.OPCODE_CLOSE
#: Longest wait (s) for a frame: the pings are checked this often. Idle
#: consumers wake up once per tick, so a thousand of them would spend a
#: core's worth of timeouts at a fraction of a second.
_TICK = 5.0
_SUSPECT_TIME = 60
#: A message this old (s) found by a read no push announced is a lag.
LAG_LIMIT = 2
#: Seconds to wait for a websocket handshake and authentication.
AUTH_WAIT = 30
#: Authenticate again this long (s) before the token expires (at most a
#: quarter of its life), and not sooner than REAUTH_MIN from now; within
#: keystoneauth's 120 s, when it fetches a new token by itself.
REAUTH_MARGIN = 60
REAUTH_MIN = 10
#: Jitter of the reconnection pauses: guests cut off together must not
#: come back in step.
RECONNECT_JITTER = 0.5


def failover_order(urls, rng=random):
    """``urls`` rotated to start at one chosen uniformly by ``rng``.

    The order after the start is the configured one, wrapping around:
    ``[b, c, a]`` for ``[a, b, c]`` starting at ``b``.
    """
    urls = list(urls)
    if len(urls) < 2:
        return urls
    start = rng.randrange(len(urls))
    return urls[start:] + urls[:start]


class PushClient:
    """Websocket subscriptions of one driver instance.

    :param connect: ``websocket.create_connection`` (or a fake).
    :param sleep: ``sleep(seconds)`` between connections, True if the
        client was closed meanwhile (default: wait for ``close``).
    :param rng: chooses the first ``websocket_url`` (``failover_order``;
        default the ``random`` module).
    """

    def __init__(self, settings, auth, client_id, connect=None, sleep=None,
                 rng=None):
        self._settings = settings
        self._rng = rng or random
        self._auth = auth
        self._client_id = client_id
        self._create_connection = connect or websocket.create_connection
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._callbacks = {}
        self._sub_ids = {}
        self._lock = threading.Lock()
        self._ws = None
        self._thread = None
        self._suspect = 0.0
        self._connected_at = 0.0
        self._pending = wsrequests.Pending()
        self._answering = False

    # -- public ----------------------------------------------------------

    @property
    def healthy(self):
        """True while consumers may rely on push (else they poll)."""
        with self._lock:
            return (self._ws is not None and
                    time.monotonic() >= self._suspect)

    def is_lag(self, age, since):
        """Whether a message ``age`` s old found unannounced shows a lag.

        Only messages posted well after ``since`` (when the consumer
        subscribed, monotonic) and after the current connection count.
        """
        posted = time.monotonic() - (age or 0)
        with self._lock:
            connected_at = self._connected_at
        return ((age or 0) >= LAG_LIMIT and
                posted > max(since, connected_at) + 1)

    def report_lag(self, queue, age):
        """A consumer read a message (``age`` s old) no push announced.

        Zaqar's notifier retries a failed push for minutes on a small
        thread pool, so after a websocket server outage pushes can lag far
        behind while the websocket itself is fine: consumers poll for
        ``_SUSPECT_TIME`` seconds.
        """
        now = time.monotonic()
        with self._lock:
            trusted, self._suspect = (now >= self._suspect,
                                      now + _SUSPECT_TIME)
        if trusted:
            LOG.warning('Zaqar pushes lag (a message on %s waited %s s '
                        'unannounced); polling for %d s', queue, age,
                        _SUSPECT_TIME)

    def subscribe(self, queue, callback):
        """Call ``callback`` for pushes on ``queue``.

        Several callbacks may share a queue (one subscription). Returns at
        once; when Zaqar confirms the subscription ``callback(None)`` asks
        the consumer to catch up on what was posted before.
        """
        with self._lock:
            callbacks = self._callbacks.setdefault(queue, [])
            callbacks.append(callback)
            ws = self._ws if len(callbacks) == 1 else None
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name='zaqar-push', daemon=True)
                self._thread.start()
        if ws is not None:
            self._send_subscribe(ws, queue)

    def unsubscribe(self, queue, callback):
        """Stop calling ``callback``; the last one ends the subscription."""
        with self._lock:
            callbacks = self._callbacks.get(queue, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if callbacks:
                return
            self._callbacks.pop(queue, None)
            sub_id = self._sub_ids.pop(queue, None)
            ws = self._ws
        if ws is not None and sub_id:
            self._send(ws, 'subscription_delete',
                       {'queue_name': queue, 'subscription_id': sub_id})

    def send(self, action, body, what):
        """Write ``action`` on the open connection now; answer later.

        As ``HttpClient.send``: returns ``finish()``, which waits for the
        answer (``http_timeout`` at most) and returns its body or raises
        as the HTTP client does (``wsrequests.Pending.finish``).

        :raises Unreachable: no connection, or it could not be written.
        """
        with self._lock:
            ws = self._ws if self._answering else None
        if ws is None:
            raise errors.Unreachable('%s: no websocket connection that '
                                     'answers' % what)
        request = self._pending.add()
        headers = dict(self._headers(), **{wsrequests.HEADER: request.key})
        try:
            ws.send(json.dumps({'action': action, 'headers': headers,
                                'body': body}))
        except (websocket.WebSocketException, OSError) as exc:
            self._pending.forget(request)
            raise errors.Unreachable('%s: websocket (%s)' % (
                what, type(exc).__name__))
        return functools.partial(self._finish, ws, request, what)

    def _finish(self, ws, request, what):
        try:
            return self._pending.finish(request, what,
                                        self._settings.http_timeout)
        except errors.Unreachable:
            if request.doc is None and not request.lost:
                self._not_answering(ws)
            raise

    def _not_answering(self, ws):
        with self._lock:
            stop = self._ws is ws and self._answering
            if stop:
                self._answering = False
        if stop:
            LOG.warning('Zaqar websocket left a request unanswered for '
                        '%s s; claims and deletes go over HTTP until it '
                        'is replaced', self._settings.http_timeout)

    def claim(self, queue, limit, ttl, grace):
        """As ``HttpClient.claim``, over the websocket (waits for it)."""
        body = self.send('claim_create', {
            'queue_name': queue, 'limit': limit, 'ttl': ttl,
            'grace': grace}, 'claim on queue %s (websocket)' % queue)()
        messages = body.get('messages')
        return messages if isinstance(messages, list) else []

    def send_delete(self, queue, ids):
        """Write the delete of ``ids``; ``finish()`` as ``send``."""
        return self.send('message_delete_many', {
            'queue_name': queue, 'message_ids': list(ids)},
            'delete on queue %s (websocket)' % queue)

    def close(self):
        self._stop.set()
        with self._lock:
            ws, thread = self._ws, self._thread
        if ws is not None:
            ws.abort()
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)

    # -- the push thread -------------------------------------------------

    def _run(self):
        urls = failover_order(self._settings.websocket_url, self._rng)
        pauses = self._reconnect_pauses()
        attempt = 0
        failing = False
        while not self._stop.is_set():
            url = urls[attempt % len(urls)]
            ws = None
            try:
                ws = self._connect(url)
                with self._lock:
                    self._ws = ws
                    self._answering = True
                    self._connected_at = time.monotonic()
                    stale, self._sub_ids = self._sub_ids, {}
                    queues = list(self._callbacks)
                for queue in queues:
                    self._send_subscribe(ws, queue)
                # The last connection's subscriptions would make Zaqar's
                # notifier post every message to a gone connection until
                # their TTL ends.
                for queue, sub_id in stale.items():
                    self._send(ws, 'subscription_delete',
                               {'queue_name': queue,
                                'subscription_id': sub_id})
                if failing:
                    LOG.info('Zaqar websocket %s connected again', url)
                failing = False
                pauses = self._reconnect_pauses()
                self._receive(ws)
            except (websocket.WebSocketException, OSError, ValueError,
                    errors.ZaqarError) as exc:
                if not self._stop.is_set():
                    (LOG.debug if failing else LOG.warning)(
                        'Zaqar websocket %s: %s; reconnecting with backoff',
                        url, type(exc).__name__)
                    failing = True
            except Exception:
                # Supervised: an unexpected error reconnects, as a broken
                # connection does, instead of ending push for good.
                LOG.exception('Zaqar websocket %s: unexpected error; '
                              'reconnecting with backoff', url)
                failing = True
            finally:
                with self._lock:
                    self._ws = None
                    callbacks = [cb for cbs in self._callbacks.values()
                                 for cb in cbs]
                if ws is not None:
                    ws.abort()
                self._pending.fail_all()
                # Wake every consumer: without push they must poll.
                for callback in callbacks:
                    self._call(callback, None)
            if self._sleep(pauses.next()):
                break
            attempt += 1

    def _reconnect_pauses(self):
        """Pauses before the next connections: never None (no deadline)."""
        return backoff.Backoff(self._settings.retry_interval,
                               self._settings.max_retry_interval,
                               jitter=RECONNECT_JITTER)

    def _connect(self, url):
        sslopt = {}
        if url.startswith('wss:'):
            settings = self._settings
            sslopt = {'cert_reqs': (ssl.CERT_NONE if settings.insecure
                                    else ssl.CERT_REQUIRED)}
            if settings.cafile:
                sslopt['ca_certs'] = settings.cafile
            if settings.certfile:
                sslopt['certfile'] = settings.certfile
                sslopt['keyfile'] = settings.keyfile
        # Zaqar's websocket server does everything in one thread and
        # validates each authentication with keystone round trips: when
        # many consumers connect at once the handshake and the answer come
        # late, and giving up would only queue another one behind them.
        ws = self._create_connection(
            url, timeout=max(self._settings.http_timeout, AUTH_WAIT),
            sslopt=sslopt, enable_multithread=True)
        if self._settings.auth_mode in ('keystone', 'token'):
            self._authenticate(ws)
        return ws

    def _send_auth(self, ws):
        headers = dict(self._auth.headers(), **{
            'Client-ID': self._client_id})
        ws.send(json.dumps({'action': 'authenticate', 'headers': headers}))

    def _authenticate(self, ws):
        for attempt in (1, 2):
            self._send_auth(ws)
            while True:
                doc = self._decode(ws.recv())
                if (isinstance(doc, dict) and
                        doc.get('request', {}).get('action') ==
                        'authenticate'):
                    break
            status = doc.get('headers', {}).get('status')
            if status == 200:
                return
            if status not in (401, 403):
                # Zaqar could not check the token (keystone away: 503):
                # the token may be good, and the HTTP client shares it.
                raise errors.Unreachable('Zaqar websocket could not '
                                         'authenticate (%s)' % status)
            self._auth.invalidate()
        raise errors.AuthFailed('Zaqar websocket refused authentication')

    def _reauth_at(self):
        """Monotonic time to authenticate again in place, or None.

        Zaqar closes a websocket when its token expires: shortly before
        (``REAUTH_MARGIN``, a quarter of the token's life at most), when
        keystoneauth already hands out a new token, the connection
        authenticates with it instead, keeping its subscriptions. The
        current token is never dropped for it (the HTTP client shares it).
        """
        expires = self._auth.expires_at()
        if expires is None:
            return None
        left = expires - time.time()
        return time.monotonic() + max(REAUTH_MIN, left - min(
            REAUTH_MARGIN, left / 4.0))

    def _reauthenticate(self, ws):
        LOG.debug('Authenticating the websocket again before the token '
                  'expires')
        self._send_auth(ws)

    def _receive(self, ws):
        settings = self._settings
        started = last_ping = last_frame = time.monotonic()
        reauth_at = self._reauth_at()
        while not self._stop.is_set():
            now = time.monotonic()
            if now - started > settings.push_subscription_ttl / 2.0:
                LOG.debug('Renewing websocket subscriptions')
                return
            if reauth_at is not None and now >= reauth_at:
                self._reauthenticate(ws)
                reauth_at = self._reauth_at()
            if now - last_frame > 3 * settings.push_ping_interval:
                raise websocket.WebSocketTimeoutException('no pong')
            if now - last_ping > settings.push_ping_interval:
                ws.ping()
                last_ping = now
            wait = min(_TICK, settings.push_ping_interval)
            if reauth_at is not None:
                wait = max(0.01, min(wait, reauth_at - now))
            ws.settimeout(wait)
            try:
                opcode, frame = ws.recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                continue
            last_frame = time.monotonic()
            if opcode == _OPCODE_CLOSE:
                raise websocket.WebSocketConnectionClosedException(
                    'closed by Zaqar')
            if opcode in (_OPCODE_TEXT, _OPCODE_BINARY):
                try:
                    self._dispatch(self._decode(frame.data))
                except Exception:
                    # A frame must never end the push thread.
                    LOG.exception('Ignoring a websocket frame that could '
                                  'not be handled')

    @staticmethod
    def _decode(data):
        if isinstance(data, bytes):
            data = data.decode('utf-8')
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            LOG.warning('Ignoring a websocket frame that is not JSON')
            return None

    def _dispatch(self, doc):
        if not isinstance(doc, dict):
            return
        if 'request' in doc:
            self._on_response(doc)
            return
        queue = doc.get('queue_name')
        if not isinstance(queue, str):
            return
        with self._lock:
            callbacks = list(self._callbacks.get(queue, ()))
        for callback in callbacks:
            self._call(callback, doc.get('body'))

    @staticmethod
    def _call(callback, body):
        """Run a consumer's callback; its errors never end the thread."""
        try:
            callback(body)
        except Exception:
            LOG.exception('A push consumer failed on a pushed message')

    def _on_response(self, doc):
        if self._pending.answer(doc):
            return
        request = doc.get('request')
        if not isinstance(request, dict):
            return
        if request.get('action') == 'authenticate':
            if (doc.get('headers') or {}).get('status') != 200:
                # Zaqar closes the connection when the old token expires;
                # the thread then reconnects.
                LOG.warning('Zaqar refused authenticating the websocket '
                            'again; it will reconnect')
            return
        if request.get('action') != 'subscription_create':
            return
        queue = (request.get('body') or {}).get('queue_name')
        status = (doc.get('headers') or {}).get('status')
        body = doc.get('body')
        with self._lock:
            callbacks = list(self._callbacks.get(queue, ()))
            if status == 201 and isinstance(body, dict):
                self._sub_ids[queue] = body.get('subscription_id')
        if status not in (201, 409):
            LOG.warning('Zaqar refused a subscription to %s (%s); the '
                        'consumer relies on polling', queue, status)
        for callback in callbacks:
            self._call(callback, None)

    def _send_subscribe(self, ws, queue):
        self._send(ws, 'subscription_create', {
            'queue_name': queue,
            'ttl': self._settings.push_subscription_ttl})

    def _headers(self):
        return {'Client-ID': self._client_id,
                'X-Project-ID': self._auth.project_id}

    def _send(self, ws, action, body):
        try:
            ws.send(json.dumps({'action': action, 'headers': self._headers(),
                                'body': body}))
        except (websocket.WebSocketException, OSError) as exc:
            LOG.debug('Websocket %s failed: %s', action, type(exc).__name__)
