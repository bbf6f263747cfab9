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

"""Patches of Zaqar the opt-in variants apply (``variants``), by name.

Applied by ``zaqar_app.load_conf`` in the Zaqar processes of a stack whose
zaqar.conf names the variant, before Zaqar builds anything. Each keeps
Zaqar's behaviour and changes only its cost, measured by the bench's
``variant`` stage (README, Findings ``zaqar-floor-variants``).
"""

import asyncio
import copy
import http.cookiejar
import threading

import requests
from stevedore import driver
from zaqar.api.v2 import endpoints
from zaqar.notification import notifier
from zaqar.notification.tasks import webhook
from zaqar.storage import errors as storage_errors
from zaqar.storage import pooling
from zaqar.storage.redis import queues as redis_queues
from zaqar.storage.redis import utils as redis_utils
from zaqar.storage.sqlalchemy import queues as sql_queues
from zaqar.transport.websocket import factory as ws_factory
from zaqar.transport.wsgi.v2_0 import messages as wsgi_messages


class _SessionPerThread:
    """``requests.post`` over one session per thread, cookies refused.

    Stock Zaqar calls ``requests.post`` for every webhook, building a
    session (adapters, pools) each time.
    """

    def __init__(self):
        self._local = threading.local()

    def post(self, url, **kwargs):
        session = getattr(self._local, 'session', None)
        if session is None:
            session = requests.Session()
            # A subscriber must not be able to make later webhooks carry
            # state: a stock requests.post keeps no cookies either.
            session.cookies.set_policy(
                http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            self._local.session = session
        return session.post(url, **kwargs)


class _KeepAliveNotifications(asyncio.Protocol):
    """The websocket server's notification port, keeping its connections.

    Stock Zaqar answers each webhook ``HTTP/1.0`` and closes the
    connection, so every notification costs the API and the websocket
    server a TCP connection. This answers ``HTTP/1.1`` with a length and
    reads the next webhook on the same connection; refusals (not a POST,
    no length, no subscriber, a head or body past its bound) still close
    it, as does a client asking to.
    """

    #: A webhook's request line and headers, at most.
    MAX_HEAD = 64 * 1024
    #: A webhook's body, at most: far above what Zaqar's posts allow
    #: (``max_messages_post_size``, 256 KiB by default), so that a
    #: declared length cannot make the server buffer without bound.
    MAX_BODY = 16 * 1024 * 1024

    def __init__(self, factory):
        self._factory = factory
        self._transport = None
        self._buffer = bytearray()

    def connection_made(self, transport):
        self._transport = transport

    def connection_lost(self, exc):
        self._transport = None
        self._buffer.clear()

    def _answer(self, status, keep):
        if keep:
            self._transport.write(
                b'HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n' % status)
        else:
            self._transport.write(
                b'HTTP/1.1 %s\r\nConnection: close\r\n\r\n' % status)
            self._transport.close()
            self._transport = None

    def data_received(self, data):
        self._buffer.extend(data)
        while self._transport is not None and self._serve_one():
            pass

    def _serve_one(self):
        """Answer the buffer's first complete webhook; False: wait."""
        end = self._buffer.find(b'\r\n\r\n')
        if end < 0:
            if len(self._buffer) > self.MAX_HEAD:
                self._answer(b'431 Request Header Fields Too Large', False)
            return False
        lines = bytes(self._buffer[:end]).split(b'\r\n')
        request = lines[0].split()
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b':')
            headers[name.strip().lower()] = value.strip()
        if len(request) != 3 or request[0] != b'POST':
            self._answer(b'405 Not Allowed', False)
            return False
        length = headers.get(b'content-length', b'')
        subscriber = request[1][1:].decode('utf-8', 'replace')
        if not length.isdigit() or not subscriber:
            self._answer(b'400 Bad Request', False)
            return False
        # Digits past MAX_BODY's never parse: int() refuses over 4300.
        if (len(length) > len(str(self.MAX_BODY)) or
                int(length) > self.MAX_BODY):
            self._answer(b'413 Payload Too Large', False)
            return False
        stop = end + 4 + int(length)
        if len(self._buffer) < stop:
            return False
        body = bytes(self._buffer[end + 4:stop])
        del self._buffer[:stop]
        self._factory.send_data(body, subscriber)
        self._answer(b'200 OK', request[2] == b'HTTP/1.1' and headers.get(
            b'connection', b'').lower() != b'close')
        return True


def notifier_reuse():
    """One task object per subscriber scheme, one session per thread.

    The websocket server keeps webhook connections open, so the sessions
    reuse them.
    """
    tasks = {}
    lock = threading.Lock()

    def task(scheme):
        with lock:
            if scheme not in tasks:
                tasks[scheme] = driver.DriverManager(
                    'zaqar.notification.tasks', scheme,
                    invoke_on_load=True).driver
            return tasks[scheme]

    def _execute(self, s_type, subscription, messages, conf=None,
                 retry_policy=None):
        # Stock _execute, but the task comes from the cache.
        if self.subscription_controller:
            conf = self.subscription_controller.driver.conf
        self.executor.submit(task(s_type).execute, subscription, messages,
                             conf=conf, queue_retry_policy=retry_policy)

    notifier.NotifierDriver._execute = _execute
    webhook.requests = _SessionPerThread()
    ws_factory.NotificationFactory.protocol = _KeepAliveNotifications


#: Per thread: the queue metadata read during the post being served
#: (``{(project, queue): metadata}``), or None outside a post.
_post = threading.local()


def _reads_once(get_metadata):
    """``get_metadata`` that a post in progress reads once per queue."""
    def wrapper(self, name, project=None):
        seen = getattr(_post, 'metadata', None)
        if seen is None:
            return get_metadata(self, name, project)
        if (project, name) not in seen:
            # Raises as stock does (QueueDoesNotExist: nothing kept).
            seen[(project, name)] = get_metadata(self, name, project)
        return copy.deepcopy(seen[(project, name)])
    return wrapper


@redis_utils.raises_conn_error
@redis_utils.retries_on_connection_error
def _redis_metadata(self, name, project=None):
    """Stock's existence check and metadata read, in one round trip."""
    queue_key = redis_utils.scope_queue_name(name, project)
    with self._client.pipeline(transaction=False) as pipe:
        pipe.zrank(redis_utils.scope_queue_name(
            redis_queues.QUEUES_SET_STORE_NAME, project), queue_key)
        pipe.hmget(queue_key, b'm')
        rank, (packed,) = pipe.execute()
    if rank is None:
        raise storage_errors.QueueDoesNotExist(name, project)
    return self._unpacker(packed)


def _one_post(serve):
    """``serve`` (a post handler) with its own metadata memory."""
    def wrapper(*args, **kwargs):
        _post.metadata = {}
        try:
            return serve(*args, **kwargs)
        finally:
            _post.metadata = None
    return wrapper


class _ShortPageIsLast:
    """A subscription controller whose listing ends at a short page.

    Stock ``list`` gives a page and the last id as the next marker, so the
    notifier asks for a second, empty page (two more Redis round trips)
    after every post to a queue with fewer subscriptions than the page.
    Only the notifier sees this: the API's listing keeps its marker.
    """

    def __init__(self, controller):
        self._controller = controller

    def __getattr__(self, name):
        return getattr(self._controller, name)

    def list(self, queue, project=None, marker=None, limit=10):
        pages = self._controller.list(queue, project, marker=marker,
                                      limit=limit)
        page = list(next(pages))
        marker = next(pages)
        yield iter(page)
        yield marker if len(page) >= limit else None


def notifier_lean():
    """A post reads its queue's metadata once; no empty subscription page.

    Stock Zaqar reads the queue's metadata in the post handler and again in
    the notifier (for the retry policy), each time checking the queue's
    existence first, then lists the subscriptions twice (the second page
    empty): 5 of the 10 storage round trips of a post to a queue with one
    subscriber (Redis management store).
    """
    redis_queues.QueueController.get_metadata = _redis_metadata
    for controller in (redis_queues.QueueController,
                       sql_queues.QueueController):
        controller.get_metadata = _reads_once(controller.get_metadata)
    wsgi_messages.CollectionResource.on_post = _one_post(
        wsgi_messages.CollectionResource.on_post)
    endpoints.Endpoints.message_post = _one_post(
        endpoints.Endpoints.message_post)
    init = notifier.NotifierDriver.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if self.subscription_controller and not isinstance(
                self.subscription_controller,
                pooling.SubscriptionController):
            self.subscription_controller = _ShortPageIsLast(
                self.subscription_controller)

    notifier.NotifierDriver.__init__ = __init__


PATCHES = {'notifier_reuse': notifier_reuse, 'notifier_lean': notifier_lean}


def apply(names):
    for name in names:
        PATCHES[name]()
