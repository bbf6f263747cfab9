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

"""The ``zaqar://`` oslo.messaging driver.

Addressing (queue names from ``names``; exchange = ``target.exchange`` or
``control_exchange``):

- ``topic``: one queue per (exchange, topic), competing consumers: every
  server of the topic claims from it one message at a time (a claim of
  several can take what another server's claim holds, a Zaqar defect),
  so each message goes to one server, once; it writes the delete of what
  it claimed before dispatching it, without waiting for Zaqar's answer
  (``deleter``).
- ``topic`` + ``server``: one queue per server, read by that server only
  (claimed as well; Zaqar's one-request pop, safe for a single reader, if
  a signed-URL guest's grant does not allow claims).
- fanout: one queue per (exchange, topic) that every server *observes*
  (lists after its own marker, removes nothing) and messages expire after
  ``fanout_ttl``. Chosen over per-server fanout queues because a sender
  then needs no registry of live servers (Zaqar has no fanout exchange,
  lists queues 20 a page, and a registry goes stale), posts once whatever
  the number of servers, and nothing is left to clean up. Each server sees
  each fanout message once (envelope and message ids are remembered for
  the TTL plus 120 s) and only those posted after it started, as with a
  RabbitMQ fanout queue created at start.
- notifications: ``{topic}.{priority}`` gets one queue per (exchange,
  topic) -- the default pool, claimed by listeners without a pool -- plus
  one queue per named pool. Pool listeners register their pool as a key of
  the default queue's metadata; notifiers read it (cached for
  ``pool_refresh_interval``) and post a copy to every pool queue, so each
  pool gets every notification once and, within a pool, the listeners
  compete for it. The first listener of a new pool starts only once
  ``pool_refresh_interval`` has passed after its registration, so that
  every notification sent after it started reaches the pool.
- replies: one queue per driver instance (``reply``), one waiter thread,
  correlation by ``msg_id`` and the call's reply key; a server answers
  only with the short-lived grant the call carries (``send_reply``).

``cleanup()`` deletes the reply queue; an RPC server's listener deletes
its server queue on cleanup (``cleanup_server_queues``); topic, fanout and
notification queues are shared and stay (empty once their TTLs pass), as
RabbitMQ's durable topic queues do.

A call carries its timeout (``envelope``): Zaqar's TTLs are at least 60 s,
so a server drops a call whose Zaqar age reached it instead of executing
it.
Heartbeats implement ``call_monitor_timeout``. Requests over
``max_message_size`` raise ``MessageDeliveryFailure`` before anything is
sent; a reply over it becomes a remote ``MessageDeliveryFailure``.

Errors: Zaqar unreachable makes ``send`` retry (``retry``: None/-1 forever,
N times, 0 never) with backoff and then raise ``MessageDeliveryFailure``,
or ``MessagingTimeout`` once a call's timeout passes; Zaqar refusing a
request (4xx) raises ``MessageDeliveryFailure`` at once.

oslo.messaging 18.3 registers ``[oslo_messaging_metrics]`` and
``[oslo_messaging_tracing]`` on the global ``cfg.CONF`` only, yet RPC
clients read them from the transport's ``conf``: with a private
``ConfigOpts`` ``call()`` fails with ``NoSuchOptError``. The driver
registers both groups on the ``conf`` it is given
(``options.register_global_only_opts``).
"""

import logging
import math
import threading
import time
import uuid

import oslo_messaging as om
from oslo_messaging._drivers import base
from oslo_messaging._drivers import common

from zaqar_trove_tests.rpc import auth as zauth
from zaqar_trove_tests.rpc import backoff
from zaqar_trove_tests.rpc import deleter as zdeleter
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import push as zpush
from zaqar_trove_tests.rpc import reply as zreply
from zaqar_trove_tests.rpc import settings as zsettings

LOG = logging.getLogger(__name__)

POOL_KEY = 'zt_pool_'

#: Queues a driver numbers its envelopes on (``_numbered``) before it
#: starts a new stream.
MAX_STREAMS = 10000


class ZaqarDriver(base.BaseDriver):
    """oslo.messaging driver over Zaqar; see the module docstring.

    Shared state: ``_lock`` guards ``_waiter``, ``_creating``,
    ``_deleter``, ``_pools`` and ``_numbers`` (any caller's thread; never
    held during a request); everything else is set in ``__init__``.
    """

    def __init__(self, conf, url, default_exchange=None,
                 allowed_remote_exmods=None):
        super().__init__(conf, url, default_exchange, allowed_remote_exmods)
        options.register_opts(conf)
        options.register_global_only_opts(conf)
        self.settings = zsettings.from_url(conf, url)
        self.allowed_remote_exmods = self._allowed_remote_exmods
        self.client_id = str(uuid.uuid4())
        try:
            self.auth = zauth.make(self.settings)
        except errors.ZaqarError as exc:
            raise om.InvalidTransportURL(self.settings.url_text, str(exc))
        self.client = httpclient.ZaqarClient(self.settings, self.auth,
                                             self.client_id)
        self.push = (zpush.PushClient(self.settings, self.auth,
                                      self.client_id)
                     if self.settings.delivery == 'push' else None)
        self._lock = threading.Lock()
        self._waiter = None
        self._creating = None
        self._deleter = None
        self._pools = {}
        self._stream = envelope.new_id()
        self._numbers = {}
        LOG.info('zaqar:// driver for %s: auth %s, %s delivery',
                 self.settings.url_text, self.settings.auth_mode,
                 self.settings.delivery)

    def require_features(self, requeue=False):
        """Requeue (notifications only) posts the message back."""

    # -- naming ----------------------------------------------------------

    def _exchange(self, target):
        return target.exchange or self._default_exchange or 'openstack'

    def _prefix(self):
        return self.settings.queue_prefix

    def queue_for(self, target):
        """The queue a message to ``target`` is posted to."""
        exchange = self._exchange(target)
        if target.fanout:
            return names.fanout_queue(self._prefix(), exchange, target.topic)
        if target.server:
            return names.server_queue(self._prefix(), exchange, target.topic,
                                      target.server)
        return names.topic_queue(self._prefix(), exchange, target.topic)

    def server_queues(self, target):
        """``[(queue, mode)]`` an RPC server of ``target`` reads."""
        exchange = self._exchange(target)
        queues = []
        if target.server:
            queues.append((names.server_queue(self._prefix(), exchange,
                                              target.topic, target.server),
                           'pop'))
        queues.append((names.topic_queue(self._prefix(), exchange,
                                         target.topic), 'claim'))
        queues.append((names.fanout_queue(self._prefix(), exchange,
                                          target.topic), 'observe'))
        return queues

    # -- sending ---------------------------------------------------------

    def _retrying(self, attempt, what, retry=None, deadline=None):
        """``attempt()``, retried with backoff while Zaqar is unreachable.

        :param retry: None/-1 retry forever, N times, 0 never.
        :param deadline: monotonic; past it raise ``MessagingTimeout``.
        :raises: ``MessageDeliveryFailure`` when Zaqar refuses or the
            retries are spent.
        """
        attempts = None if retry is None or retry < 0 else retry
        pauses = backoff.Backoff(self.settings.retry_interval,
                                 self.settings.max_retry_interval,
                                 deadline=deadline, attempts=attempts)
        while True:
            try:
                return attempt()
            except errors.Rejected as exc:
                raise om.MessageDeliveryFailure('%s: %s' % (what, exc))
            except errors.Unreachable as exc:
                pause = pauses.next()
                if pause is None:
                    if attempts is not None and pauses.retries >= attempts:
                        raise om.MessageDeliveryFailure(
                            '%s: %s (after %d attempt(s))' % (
                                what, exc, pauses.retries + 1))
                    raise om.MessagingTimeout('Timed out: %s: %s' % (
                        what, exc))
                LOG.warning('%s: %s; retrying in %.1f s', what, exc, pause)
            time.sleep(pause)

    def post(self, queue, bodies, ttl, retry=None, deadline=None,
             grant=None, data=None):
        """Post envelopes; oslo exceptions on failure.

        :param deadline: monotonic time after which to stop retrying and
            raise ``MessagingTimeout``.
        :param data: ``bodies`` already encoded by ``encode_post``.

        A post Zaqar may have stored (5xx, no answer) is repeated with its
        requests marked ``re`` (maybe a duplicate): servers of a topic
        run such a request only if none of them ran it (``listener``).
        """
        try:
            if data is None:
                data = self.client.encode_post(bodies, ttl)
        except errors.TooLarge as exc:
            raise om.MessageDeliveryFailure(str(exc))
        marked = False

        def attempt():
            nonlocal data, marked
            left = (None if deadline is None
                    else deadline - time.monotonic())
            try:
                self.client.post(queue, data, grant=grant, timeout=left)
            except errors.Unreachable as exc:
                if exc.sent and not marked:
                    # Zaqar may have stored it: what is posted again says
                    # so, for the servers of a topic to sort out.
                    data = self.client.encode_post(
                        [envelope.retried(b) for b in bodies], ttl)
                    marked = True
                raise

        self._retrying(attempt, 'Posting to %s' % queue, retry, deadline)

    def _numbered(self, queue, body):
        """``body`` numbered in this driver's stream on ``queue`` (``sq``).

        The servers of a topic learn from gaps that other servers take
        from it (``fairness``). Bounded: past ``MAX_STREAMS`` queues the
        numbering starts again (a new stream).
        """
        with self._lock:
            if len(self._numbers) >= MAX_STREAMS and (
                    queue not in self._numbers):
                self._numbers.clear()
                self._stream = envelope.new_id()
            number = self._numbers[queue] = self._numbers.get(queue, 0) + 1
            stream = self._stream
        return envelope.sequenced(body, (stream, number))

    def send(self, target, ctxt, message, wait_for_reply=None, timeout=None,
             call_monitor_timeout=None, retry=None, transport_options=None):
        queue = self.queue_for(target)
        if not wait_for_reply:
            ttl = (self.settings.fanout_ttl if target.fanout
                   else self.settings.message_ttl)
            body = envelope.cast(ctxt, message)
            if not target.fanout:
                body = self._numbered(queue, body)
            self.post(queue, [body], ttl, retry)
            return None
        if self.settings.auth_mode == 'signed':
            raise om.MessageDeliveryFailure(
                'call() needs a reply queue, which auth_mode=signed cannot '
                'read; use cast() or another auth_mode')
        if timeout is None:
            timeout = self.settings.message_ttl
        timeout = min(timeout, envelope.MAX_TIMEOUT)
        # The caller gives up at ``deadline``; servers judge it from
        # Zaqar's age of the request and its ``to`` (no shared clock).
        ends = time.time() + timeout
        deadline = time.monotonic() + timeout
        waiter = self._reply_waiter(deadline)
        grant = self._retrying(
            lambda: waiter.grants.get(ends, deadline - time.monotonic()),
            'Minting a reply grant for %s (has Zaqar a [signed_url] '
            'secret_key?)' % waiter.queue, retry, deadline)
        msg_id, reply_key = envelope.new_id(), envelope.new_id()
        body = self._numbered(queue, envelope.call(
            ctxt, message, msg_id, reply_key, waiter.queue, grant, timeout,
            call_monitor_timeout))
        ttl = max(60, min(math.ceil(timeout), self.settings.message_ttl))
        LOG.debug('CALL %s to %s', msg_id, queue)
        waiter.listen(msg_id, reply_key, call_monitor_timeout)
        try:
            self.post(queue, [body], ttl, retry, deadline)
            return waiter.wait(msg_id, deadline)
        finally:
            waiter.unlisten(msg_id)

    def _reply_waiter(self, deadline):
        """The reply waiter, created by the first caller.

        Other callers wait for it (each until its own ``deadline``); no
        lock is held while the queue is created.
        """
        while True:
            with self._lock:
                if self._waiter is not None:
                    return self._waiter
                creating = self._creating
                mine = creating is None
                if mine:
                    creating = self._creating = threading.Event()
            if mine:
                break
            if not creating.wait(max(0.0, deadline - time.monotonic())):
                raise om.MessagingTimeout(
                    'Timed out waiting for the reply queue')
        waiter = None
        try:
            waiter = self._retrying(
                # Each attempt ends by the caller's deadline.
                lambda: zreply.ReplyWaiter(
                    self, timeout=deadline - time.monotonic()),
                'Creating the reply queue', deadline=deadline)
            return waiter
        finally:
            with self._lock:
                self._waiter, self._creating = waiter, None
            creating.set()

    def send_reply(self, request, body, deadline, raise_errors=False):
        """Post a reply (or heartbeat) to the caller of ``request``.

        Only to a reply queue (a name ``names.reply_queue`` makes), only
        with the grant the request carries and only if that grant names
        that queue: a request never makes a server write with its own
        credentials, nor anywhere else (confused deputy).

        :param deadline: monotonic time the caller gives up.
        """
        queue, grant = request['rq'], request['rg']
        if zauth.grant_queues(grant) != {queue} or \
                'POST' not in grant['methods']:
            LOG.warning('Reply to %s not sent: its grant does not name its '
                        'reply queue', request['mid'])
            if raise_errors:
                raise om.MessageDeliveryFailure('bad reply grant')
            return
        if deadline <= time.monotonic():
            if raise_errors:
                raise om.MessageDeliveryFailure('the caller gave up')
            LOG.info('Reply to %s not sent: its caller gave up',
                     request['mid'])
            return
        try:
            try:
                data = self.client.encode_post([body],
                                               self.settings.reply_ttl)
            except errors.TooLarge as exc:
                failure = om.MessageDeliveryFailure(
                    'reply not sent: %s' % exc)
                body = envelope.reply(
                    request, failure=common.serialize_remote_exception(
                        (type(failure), failure, None)))
                data = None
            self.post(queue, [body], self.settings.reply_ttl, retry=None,
                      deadline=deadline, grant=grant, data=data)
        except om.MessagingException as exc:
            if raise_errors:
                raise om.MessageDeliveryFailure(str(exc))
            LOG.error('Reply to %s not delivered: %s', request['mid'], exc)

    def send_notification(self, target, ctxt, message, version, retry=None):
        exchange = self._exchange(target)
        queue = names.notification_queue(self._prefix(), exchange,
                                         target.topic)
        body = envelope.notification(ctxt, message, version)
        for name in [queue] + self._pool_queues(exchange, target.topic):
            self.post(name, [self._numbered(name, body)],
                      self.settings.message_ttl, retry)

    def _pool_queues(self, exchange, topic):
        queue = names.notification_queue(self._prefix(), exchange, topic)
        now = time.monotonic()
        with self._lock:
            cached = self._pools.get(queue)
        if cached and now - cached[0] < self.settings.pool_refresh_interval:
            return cached[1]
        try:
            meta = self.client.queue_metadata(queue)
        except errors.ZaqarError as exc:
            LOG.debug('No pool list for %s: %s', queue, exc)
            return cached[1] if cached else []
        pools = sorted(v for k, v in meta.items()
                       if k.startswith(POOL_KEY) and isinstance(v, str))
        queues = [names.notification_queue(self._prefix(), exchange, topic,
                                           pool) for pool in pools]
        with self._lock:
            self._pools[queue] = (now, queues)
        return queues

    # -- listening -------------------------------------------------------

    def _listener(self, sources, notifications, batch_size, batch_timeout,
                  owned=()):
        if self.settings.auth_mode == 'signed':
            sources = self._granted(sources)
        listener = zlistener.ZaqarListener(self, sources, notifications,
                                           owned)
        listener.start(self.push)
        return base.PollStyleListenerAdapter(listener, batch_size,
                                             batch_timeout)

    def _granted(self, sources):
        needs = {'observe': [('GET', 'messages')],
                 'pop': [('DELETE', 'messages')],
                 'claim': [('POST', 'claims'), ('DELETE', 'messages')]}
        kept = []
        for source in sources:
            missing = [need for need in needs[source.mode]
                       if not self.auth.grant(source.queue, *need)]
            if missing:
                LOG.warning('No signed URL grants %s on %s: not read',
                            ' and '.join('%s %s' % m for m in missing),
                            source.queue)
            else:
                kept.append(source)
        if not kept:
            raise om.MessageDeliveryFailure(
                'no signed URL grants reading any queue of this listener')
        return kept

    def listen(self, target, batch_size, batch_timeout):
        sources = [zlistener.Source(queue, mode)
                   for queue, mode in self.server_queues(target)]
        owned = ([sources[0].queue] if target.server and
                 self.settings.cleanup_server_queues and
                 self.settings.auth_mode != 'signed' else [])
        return self._listener(sources, False, batch_size, batch_timeout,
                              owned)

    def listen_for_notifications(self, targets_and_priorities, pool,
                                 batch_size, batch_timeout):
        sources, new = [], []
        for target, priority in targets_and_priorities:
            exchange = self._exchange(target)
            topic = '%s.%s' % (target.topic, priority)
            default = names.notification_queue(self._prefix(), exchange,
                                               topic)
            if pool is None:
                sources.append(zlistener.Source(default))
                continue
            if self._register_pool(default, pool):
                new.append(default)
            sources.append(zlistener.Source(names.notification_queue(
                self._prefix(), exchange, topic, pool)))
        listener = self._listener(sources, True, batch_size, batch_timeout)
        wait = self.settings.pool_refresh_interval
        if new and wait > 0:
            # Notifiers cache the pool list for pool_refresh_interval:
            # once that has passed, every notification sent reaches the
            # new pool, as a rabbit queue bound when its listener starts.
            LOG.info('Pool %s is new on %s: waiting %.1f s until every '
                     'notifier sees it', pool, ', '.join(new), wait)
            time.sleep(wait)
        return listener

    def _register_pool(self, queue, pool):
        """Record ``pool`` on ``queue``; True if it was not there."""
        key = POOL_KEY + names.encode_component(pool)
        try:
            self.client.ensure_queue(queue)
            known = self.client.queue_metadata(queue).get(key) == pool
            if not known:
                self.client.set_metadata_key(queue, key, pool)
        except errors.ZaqarError as exc:
            raise om.MessageDeliveryFailure(
                'Cannot register pool %r on %s: %s' % (pool, queue, exc))
        # This driver's own notifiers see it at once.
        with self._lock:
            self._pools.pop(queue, None)
        return not known

    def deleter(self):
        """The background deleter of claimed messages (started once)."""
        with self._lock:
            if self._deleter is None:
                self._deleter = zdeleter.Deleter(
                    self.client, self.settings,
                    push=self.push if self.settings.push_requests else None)
            return self._deleter

    def forget_listener(self, listener):
        """Called by a listener's cleanup: delete the queues it owns."""
        with self._lock:
            deleter = self._deleter
        if deleter is not None and not deleter.flush(5.0):
            LOG.warning('Claimed messages still undeleted after 5 s')
        for queue in listener.owned:
            try:
                self.client.delete_queue(queue)
            except errors.ZaqarError as exc:
                LOG.warning('Could not delete queue %s: %s', queue, exc)

    # -- grants for servers holding no credentials ----------------------

    def share_server_queues(self, target, expires, send_topics=()):
        """Pre-signed grants an RPC server of ``target`` needs.

        For a guest that must hold no keystone credentials: the grants to
        read its server, topic and fanout queues and to post to the topic
        queues in ``send_topics`` (``[(exchange or None, topic)]``). Write
        the returned list as JSON to the guest's ``signed_urls_file``.

        :param expires: ``YYYY-MM-DDTHH:MM:SS`` (UTC).
        """
        grants = []
        for queue, mode in self.server_queues(target):
            paths, methods = {
                'observe': (['messages'], ['GET']),
                'pop': (['messages', 'claims'], ['DELETE', 'GET', 'POST']),
                'claim': (['messages', 'claims'], ['DELETE', 'GET', 'POST']),
            }[mode]
            grants.append(self.client.share(queue, paths, methods, expires))
        for exchange, topic in send_topics:
            queue = names.topic_queue(
                self._prefix(), exchange or self._default_exchange, topic)
            grants.append(self.client.share(queue, ['messages'], ['POST'],
                                            expires))
        return grants

    def delete_server_queues(self, target):
        """Delete the queues of a departed RPC server of ``target``.

        Zaqar never expires a queue, and a guest's VM goes away without
        stopping its server: the control plane calls this when it deletes
        the guest (Trove's instance delete), with the server's own
        ``Target(topic, server)``. Only for a topic no other server
        serves (``guestagent.<id>``); what is still queued goes with it.
        """
        for queue, _ in self.server_queues(target):
            self.client.delete_queue(queue)

    # -- teardown --------------------------------------------------------

    def cleanup(self):
        with self._lock:
            waiter, self._waiter = self._waiter, None
            deleter, self._deleter = self._deleter, None
        if waiter is not None:
            waiter.stop()
        if deleter is not None:
            deleter.stop()
        if self.push is not None:
            self.push.close()
        self.client.close()
