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


"""A client of Zaqar's websocket API (the ``messaging-websocket`` endpoint).

Zaqar's websocket protocol: the client sends JSON frames
``{'action': ..., 'headers': {...}, 'body': {...}}``; each response is
``{'request': <the request, echoed>, 'body': ..., 'headers': {'status':
N}}``. Pushed subscription messages are bare message documents. This
client adds a ``Request-ID`` header to every request and matches each
response by the echoed header; the ``authenticate`` response echoes no
header, so at most one authentication is in flight and its response is
matched by action. Frames that are not responses go to a notification
queue read with ``receive(timeout)``. Every wait has a deadline.

Identity: ``authenticate(token, project_id)`` (keystone; afterwards every
request must carry that project in ``X-Project-ID``, which this client
does), or, without authenticating, signed-URL headers on each request
(``headers=auth.signed_url_headers(signed, for_websocket=True)``): Zaqar
checks them for the ``message_*`` actions only. A Zaqar without an auth
strategy takes any ``X-Project-ID``.

Error contract: ``request`` and the typed helpers raise the
tempest.lib exception of the response status (``BadRequest`` 400,
``Unauthorized`` 401, ``Forbidden`` 403 - also "Not authentified." -,
``NotFound`` 404, ``Conflict`` 409, ``ServerFault`` 500,
``UnexpectedResponseCode`` otherwise) with the body as ``resp_body`` and
the frame as ``resp``; a schema mismatch raises
``InvalidHttpSuccessCode``/``InvalidHTTPResponseBody`` exactly like the
REST clients. ``WebsocketTimeout`` (a ``TimeoutException``) when no
response or notification arrives in time, ``WebsocketClosed`` when the
connection is gone (the server closes with 4003 when a token expires).
``send`` returns any response frame without raising on its status.
"""

import json
import logging
import queue
import socket
import threading
import uuid

import jsonschema
from tempest.lib.common import jsonschema_validator
from tempest.lib.common import rest_client
from tempest.lib import exceptions
import websocket

from zaqar_trove_tests.api_schema.v2 import websocket as schema

LOG = logging.getLogger(__name__)

REQUEST_ID = 'Request-ID'

_ERRORS = {
    400: exceptions.BadRequest,
    401: exceptions.Unauthorized,
    403: exceptions.Forbidden,
    404: exceptions.NotFound,
    409: exceptions.Conflict,
    500: exceptions.ServerFault,
}


class WebsocketTimeout(exceptions.TimeoutException):
    message = 'Websocket: %(what)s did not arrive within %(timeout).1f s'


class WebsocketClosed(exceptions.TempestException):
    message = 'Websocket connection closed: %(reason)s'


class WebsocketResponse(dict):
    """The ``headers`` of a response frame, ``status`` as an attribute.

    ``frame`` is the whole frame (``request``, ``body``, ``headers``).
    """

    def __init__(self, frame):
        super().__init__(frame.get('headers') or {})
        self.status = self.get('status')
        self.frame = frame


def is_response(frame):
    """A response frame (as opposed to a pushed message)."""
    return (isinstance(frame, dict) and isinstance(frame.get('request'), dict)
            and isinstance(frame.get('headers'), dict)
            and 'status' in frame['headers'])


#: Put in the notification queue when the connection ends.
_CLOSED = object()


class _Pending:
    __slots__ = ('event', 'frame')

    def __init__(self):
        self.event = threading.Event()
        self.frame = None


class WebsocketClient:
    """One websocket connection to Zaqar.

    :param url: e.g. ``ws://127.0.0.1:9000``.
    :param project_id: sent as ``X-Project-ID`` (set by ``authenticate``).
    :param client_id: ``Client-ID`` (a new uuid4 by default).
    :param headers: extra headers on every request (e.g. signed-URL ones).
    :param timeout: default deadline in seconds of connect and of every
        request.

    Use as a context manager or call ``close()``; the connection opens in
    the constructor.
    """

    def __init__(self, url, project_id=None, client_id=None, headers=None,
                 timeout=10.0):
        self.url = url
        self.project_id = project_id
        self.client_id = client_id or str(uuid.uuid4())
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.unmatched = []
        self._notifications = queue.Queue()
        self._lock = threading.Lock()
        self._pending = {}
        self._auth_pending = None
        self._closed_reason = None
        self._ws = websocket.create_connection(
            url, timeout=timeout, enable_multithread=True)
        self._ws.settimeout(None)
        self._reader = threading.Thread(
            target=self._read_loop, name='zaqar-ws-reader %s' % url,
            daemon=True)
        self._reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def closed(self):
        return self._closed_reason is not None

    # -- the connection ---------------------------------------------------

    def _read_loop(self):
        reason = 'closed by the server'
        try:
            while True:
                opcode, data = self._ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    reason = 'closed by the server (%s %s)' % (
                        int.from_bytes(data[:2], 'big') if data else '-',
                        data[2:].decode('utf-8', 'replace'))
                    break
                self._dispatch(data)
        except (websocket.WebSocketException, OSError) as exc:
            reason = 'connection lost: %s' % exc
        finally:
            self._mark_closed(reason)

    def _dispatch(self, data):
        try:
            frame = json.loads(data)
        except ValueError:
            LOG.warning('Undecodable websocket frame: %r', data[:200])
            self.unmatched.append(data)
            return
        if not is_response(frame):
            self._notifications.put(frame)
            return
        request = frame['request']
        request_id = (request.get('headers') or {}).get(REQUEST_ID)
        with self._lock:
            if request_id is not None:
                pending = self._pending.pop(request_id, None)
            elif request.get('action') == 'authenticate':
                pending, self._auth_pending = self._auth_pending, None
            else:
                pending = None
        if pending is None:
            LOG.warning('Unmatched websocket response: %s', frame)
            self.unmatched.append(frame)
            return
        pending.frame = frame
        pending.event.set()

    def _mark_closed(self, reason):
        with self._lock:
            if self._closed_reason is not None:
                return
            self._closed_reason = reason
            waiting = list(self._pending.values())
            self._pending.clear()
            if self._auth_pending is not None:
                waiting.append(self._auth_pending)
                self._auth_pending = None
        for pending in waiting:
            pending.event.set()
        self._notifications.put(_CLOSED)

    def close(self, timeout=5.0):
        """Close cleanly (close frame), forcibly after ``timeout``."""
        if self._reader.is_alive():
            try:
                self._ws.send_close()
            except (websocket.WebSocketException, OSError):
                pass
            self._reader.join(timeout)
            if self._reader.is_alive():
                try:
                    self._ws.sock.shutdown(socket.SHUT_RDWR)
                except (AttributeError, OSError):
                    pass
                self._reader.join(timeout)
        self._ws.shutdown()
        self._mark_closed('closed by the client')

    # -- requests ---------------------------------------------------------

    def build_headers(self, request_id, headers=None):
        """The headers of one request: identity, extras, then overrides."""
        built = {'Client-ID': self.client_id, REQUEST_ID: request_id}
        if self.project_id is not None:
            built['X-Project-ID'] = self.project_id
        built.update(self.headers)
        built.update(headers or {})
        return {k: v for k, v in built.items() if v is not None}

    def send(self, action, body=None, headers=None, timeout=None):
        """Send one request; its response frame, whatever its status.

        ``headers`` override the built ones (None removes one).
        """
        timeout = self.timeout if timeout is None else timeout
        request_id = str(uuid.uuid4())
        payload = {'action': action,
                   'headers': self.build_headers(request_id, headers),
                   'body': {} if body is None else body}
        pending = _Pending()
        with self._lock:
            if self._closed_reason is not None:
                raise WebsocketClosed(reason=self._closed_reason)
            if action == 'authenticate':
                if self._auth_pending is not None:
                    raise RuntimeError('an authentication is in flight')
                self._auth_pending = pending
            else:
                self._pending[request_id] = pending
        try:
            try:
                self._ws.send(json.dumps(payload))
            except (websocket.WebSocketException, OSError) as exc:
                raise WebsocketClosed(reason='sending failed: %s' % exc)
            if not pending.event.wait(timeout):
                raise WebsocketTimeout(what='response to %s' % action,
                                       timeout=timeout)
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
                if self._auth_pending is pending:
                    self._auth_pending = None
        if pending.frame is None:
            raise WebsocketClosed(reason=self._closed_reason)
        return pending.frame

    def request(self, action, response_schema, body=None, headers=None,
                timeout=None):
        """``send``, raise on an error status, validate, wrap the body.

        :returns: ``rest_client.ResponseBody``: the body when it is an
            object (``{}`` otherwise); ``.response`` is a
            ``WebsocketResponse``.
        """
        frame = self.send(action, body, headers, timeout)
        resp = WebsocketResponse(frame)
        if not isinstance(resp.status, int) or resp.status >= 400:
            error = _ERRORS.get(resp.status, exceptions.UnexpectedResponseCode)
            raise error(frame.get('body'), resp=resp)
        rest_client.RestClient.validate_response(
            response_schema, resp, frame.get('body'))
        body = frame.get('body')
        return rest_client.ResponseBody(
            resp, body if isinstance(body, dict) else {})

    def receive(self, timeout=None):
        """The next pushed (non-response) frame, waiting up to timeout."""
        timeout = self.timeout if timeout is None else timeout
        try:
            frame = self._notifications.get(timeout=timeout)
        except queue.Empty:
            raise WebsocketTimeout(what='a notification', timeout=timeout)
        if frame is _CLOSED:
            self._notifications.put(_CLOSED)
            raise WebsocketClosed(reason=self._closed_reason)
        return frame

    def receive_message(self, timeout=None):
        """The next pushed queue message, validated (``notification``)."""
        frame = self.receive(timeout)
        try:
            jsonschema.validate(
                frame, schema.notification,
                cls=jsonschema_validator.JSONSCHEMA_VALIDATOR,
                format_checker=jsonschema_validator.FORMAT_CHECKER)
        except jsonschema.ValidationError as exc:
            raise exceptions.InvalidHTTPResponseBody(
                'pushed message is invalid (%s)' % exc)
        return frame

    # -- typed actions ----------------------------------------------------

    def authenticate(self, token, project_id=None, timeout=None):
        """Authenticate the connection with a keystone token.

        Afterwards requests carry ``project_id`` (default: the client's).
        """
        project_id = self.project_id if project_id is None else project_id
        result = self.request(
            'authenticate', schema.authenticate,
            headers={'X-Auth-Token': token, 'X-Project-ID': project_id},
            timeout=timeout)
        self.project_id = project_id
        return result

    def queue_list(self, limit=None, marker=None, detailed=None):
        return self.request('queue_list', schema.queue_list, _body(
            limit=limit, marker=marker, detailed=detailed))

    def queue_create(self, queue_name, metadata=None):
        """201 created, 204 existed."""
        return self.request('queue_create', schema.queue_create, _body(
            queue_name=queue_name, metadata=metadata))

    def queue_get(self, queue_name):
        return self.request('queue_get', schema.queue_get,
                            _body(queue_name=queue_name))

    def queue_delete(self, queue_name):
        return self.request('queue_delete', schema.queue_delete,
                            _body(queue_name=queue_name))

    def queue_get_stats(self, queue_name):
        return self.request('queue_get_stats', schema.queue_get_stats,
                            _body(queue_name=queue_name))

    def queue_purge(self, queue_name, resource_types=None):
        return self.request('queue_purge', schema.queue_purge, _body(
            queue_name=queue_name, resource_types=resource_types))

    def message_post(self, queue_name, messages):
        return self.request('message_post', schema.message_post, _body(
            queue_name=queue_name, messages=messages))

    def message_list(self, queue_name, limit=None, marker=None, echo=None,
                     include_claimed=None, include_delayed=None):
        return self.request('message_list', schema.message_list, _body(
            queue_name=queue_name, limit=limit, marker=marker, echo=echo,
            include_claimed=include_claimed,
            include_delayed=include_delayed))

    def message_get(self, queue_name, message_id):
        return self.request('message_get', schema.message_get, _body(
            queue_name=queue_name, message_id=message_id))

    def message_get_many(self, queue_name, message_ids):
        return self.request('message_get_many', schema.message_get_many,
                            _body(queue_name=queue_name,
                                  message_ids=message_ids))

    def message_delete(self, queue_name, message_id, claim_id=None):
        return self.request('message_delete', schema.message_delete, _body(
            queue_name=queue_name, message_id=message_id,
            claim_id=claim_id))

    def message_delete_many(self, queue_name, message_ids, claim_ids=None):
        return self.request('message_delete_many', schema.message_delete_many,
                            _body(queue_name=queue_name,
                                  message_ids=message_ids,
                                  claim_ids=claim_ids))

    def message_pop(self, queue_name, count):
        """``message_delete_many`` with ``pop``: the removed messages."""
        return self.request('message_delete_many', schema.message_pop,
                            _body(queue_name=queue_name, pop=count))

    def claim_create(self, queue_name, ttl=None, grace=None, limit=None):
        """201 with ``claim_id`` and ``messages``; 204: nothing claimed.

        A 204 still carries a (useless) ``claim_id``.
        """
        return self.request('claim_create', schema.claim_create, _body(
            queue_name=queue_name, ttl=ttl, grace=grace, limit=limit))

    def claim_get(self, queue_name, claim_id):
        return self.request('claim_get', schema.claim_get, _body(
            queue_name=queue_name, claim_id=claim_id))

    def claim_update(self, queue_name, claim_id, ttl=None, grace=None):
        return self.request('claim_update', schema.claim_update, _body(
            queue_name=queue_name, claim_id=claim_id, ttl=ttl, grace=grace))

    def claim_delete(self, queue_name, claim_id):
        return self.request('claim_delete', schema.claim_delete, _body(
            queue_name=queue_name, claim_id=claim_id))

    def subscription_create(self, queue_name, subscriber=None, ttl=None,
                            options=None):
        """Subscribe; without ``subscriber``, this connection.

        The queue's new messages then arrive through ``receive_message``
        (no message id in them) until the connection closes.
        """
        return self.request('subscription_create', schema.subscription_create,
                            _body(queue_name=queue_name,
                                  subscriber=subscriber, ttl=ttl,
                                  options=options))

    def subscription_list(self, queue_name):
        return self.request('subscription_list', schema.subscription_list,
                            _body(queue_name=queue_name))

    def subscription_get(self, queue_name, subscription_id):
        return self.request('subscription_get', schema.subscription_get,
                            _body(queue_name=queue_name,
                                  subscription_id=subscription_id))

    def subscription_delete(self, queue_name, subscription_id):
        return self.request('subscription_delete', schema.subscription_delete,
                            _body(queue_name=queue_name,
                                  subscription_id=subscription_id))


def _body(**fields):
    return {k: v for k, v in fields.items() if v is not None}
