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

"""The driver end to end against a real local Zaqar, push and poll."""

import concurrent.futures
import json
import logging
import time
import urllib.parse

import fixtures
import oslo_messaging as om

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.functional.rpc import base
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.unit.rpc import fakes


class TestRpcOverZaqar(base.ZaqarTestCase):

    def _check_routing(self, delivery):
        transport = self.transport(delivery)
        one = self.server(transport, 'routing', 'one')
        two = self.server(transport, 'routing', 'two')
        client = om.get_rpc_client(transport, om.Target(topic='routing'),
                                   timeout=20)
        answer = client.call({}, 'echo', value='ünï')
        self.assertEqual('ünï', answer['value'])
        self.assertEqual('two', client.prepare(server='two').call(
            {}, 'echo', value=1)['server'])
        for i in range(20):
            client.cast({}, 'note', value=i)
        client.prepare(fanout=True).cast({}, 'note', value='all')
        waiters.wait_until(
            lambda: len(one.values('note') + two.values('note')) == 22,
            20, what='20 casts once and a fanout on each server (%s, %s)' % (
                one.seen, two.seen))
        self.assertEqual(list(range(20)), sorted(
            v for v in one.values('note') + two.values('note')
            if v != 'all'))
        self.assertEqual(['all'], [v for v in one.values('note')
                                   if v == 'all'])
        self.assertEqual(['all'], [v for v in two.values('note')
                                   if v == 'all'])

    def test_routing_push(self):
        self._check_routing('push')

    def test_routing_poll(self):
        self._check_routing('poll')

    def _check_competing(self, delivery):
        transport = self.transport(delivery)
        servers = [self.server(transport, 'many', 's%d' % i)
                   for i in range(3)]
        client = om.get_rpc_client(transport, om.Target(topic='many'))
        for i in range(150):
            client.cast({}, 'note', value=i)

        def delivered():
            return sorted(v for s in servers for v in s.values('note'))

        waiters.wait_until(lambda: len(delivered()) >= 150, 60,
                           what='150 casts delivered')
        self.assertEqual(list(range(150)), delivered())
        self.assertTrue(all(s.values('note') for s in servers))

    def test_a_burst_reaches_a_lone_push_server_whole(self):
        # One message per claim: the burst outlasts its pushes'
        # push_grace, and the server reads on until the queue is empty.
        transport = self.transport('push')
        server = self.server(transport, 'burst', 'only')
        client = om.get_rpc_client(transport, om.Target(topic='burst'))
        client.call({}, 'echo', value='subscribed')

        def send(first):
            for i in range(first, 1000, 4):
                client.cast({}, 'note', value=i)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(send, range(4)))
        waiters.wait_until(lambda: len(server.values('note')) >= 1000, 90,
                           what='1000 casts delivered')
        self.assertEqual(list(range(1000)), sorted(server.values('note')))

    def test_competing_servers_get_each_cast_once_push(self):
        self._check_competing('push')

    def test_competing_servers_get_each_cast_once_poll(self):
        self._check_competing('poll')

    def _claim_one(self, queue):
        """A foreign consumer's claim of one message: ``(id, claim id)``."""
        status, body = self.api('POST', '/v2/queues/%s/claims?limit=1'
                                % queue, {'ttl': 60, 'grace': 60})
        self.assertEqual(201, status)
        href = urllib.parse.urlsplit(body['messages'][0]['href'])
        return (href.path.rsplit('/', 1)[1],
                urllib.parse.parse_qs(href.query)['claim_id'][0])

    def test_a_message_another_claim_holds_is_never_taken(self):
        # claim-steals-claimed: a free message ahead of one that another
        # consumer's live claim holds; a claim of several would take both.
        transport = self.transport('poll')
        driver = transport._driver
        queue = driver.queue_for(om.Target(topic='held'))
        client = om.get_rpc_client(transport, om.Target(topic='held'))
        client.cast({}, 'note', value=0)
        _, released = self._claim_one(queue)
        client.cast({}, 'note', value=1)
        held, claim = self._claim_one(queue)
        client.cast({}, 'note', value=2)
        client.cast({}, 'note', value=3)
        self.assertEqual(204, self.api('DELETE', '/v2/queues/%s/claims/%s'
                                       % (queue, released))[0])
        listener = zlistener.ZaqarListener(driver, [zlistener.Source(queue)])
        listener.start()
        self.addCleanup(listener.cleanup)
        taken = []
        waiters.wait_until(
            lambda: taken.extend(m.message['args']['value'] for m in
                                 listener.poll(timeout=0.5, batch_size=5))
            or len(taken) >= 3, 20, what='the three free casts taken')
        self.assertTrue(driver.deleter().flush(10))
        self.assertEqual([0, 2, 3], sorted(taken))
        self.assertEqual(200, self.api('GET', '/v2/queues/%s/messages/%s'
                                       % (queue, held))[0])
        self.assertEqual(204, self.api(
            'DELETE', '/v2/queues/%s/messages/%s?claim_id=%s'
            % (queue, held, claim))[0])

    def test_dropped_messages_ahead_do_not_stall_a_push_listener(self):
        # One message per claim: a read that took only junk is followed by
        # the next at once, not by the next safety read (minutes away).
        transport = self.transport('push')
        driver = transport._driver
        queue = driver.queue_for(om.Target(topic='junk'))
        for _ in range(3):
            self.assertEqual(201, self.api(
                'POST', '/v2/queues/%s/messages' % queue,
                {'messages': [{'body': 'junk', 'ttl': 300}]})[0])
        om.get_rpc_client(transport, om.Target(topic='junk')).cast(
            {}, 'note', value='after the junk')
        listener = zlistener.ZaqarListener(driver, [zlistener.Source(queue)])
        listener.start(driver.push)
        self.addCleanup(listener.cleanup)
        waiters.wait_until(lambda: driver.push.healthy, 10, interval=0.05,
                           what='push connected')
        taken = listener.poll(timeout=10)
        self.assertEqual(['after the junk'],
                         [m.message['args']['value'] for m in taken])

    def _check_errors_and_timeout(self, delivery):
        transport = self.transport(delivery)
        self.server(transport, 'errors', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='errors'),
                                   timeout=20)
        self.assertRaises(ValueError, client.call, {}, 'fail',
                          kind='builtin')
        error = self.assertRaises(om.RemoteError, client.call, {}, 'fail',
                                  kind='custom')
        self.assertEqual('RecorderError', error.exc_type)
        started = time.monotonic()
        self.assertRaises(om.MessagingTimeout,
                          client.prepare(server='ghost', timeout=1).call,
                          {}, 'echo', value='late')
        elapsed = time.monotonic() - started
        self.assertTrue(0.9 < elapsed < 3, elapsed)

    def test_errors_and_timeout_push(self):
        self._check_errors_and_timeout('push')

    def test_errors_and_timeout_poll(self):
        self._check_errors_and_timeout('poll')

    def test_abandoned_call_is_never_executed(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        transport = self.transport()
        client = om.get_rpc_client(transport, om.Target(topic='late'),
                                   timeout=2)
        self.assertRaises(om.MessagingTimeout,
                          client.prepare(server='late-one').call,
                          {}, 'echo', value='stale')
        queue = names.server_queue('om', 'openstack', 'late', 'late-one')
        self.assertEqual(1, self.message_count(queue))
        late = self.server(transport, 'late', 'late-one')
        waiters.wait_until(lambda: 'unexecuted' in log.output, 20,
                           what='the stale call dropped')
        self.assertEqual(0, self.message_count(queue))
        self.assertEqual('fresh', client.prepare(timeout=20).call(
            {}, 'echo', value='fresh')['value'])
        self.assertEqual(['fresh'], late.values('echo'))

    def test_call_monitor_heartbeats_keep_a_long_call_alive(self):
        transport = self.transport('poll')

        class Slow(base.Recorder):
            def slow(self, ctxt, seconds):
                time.sleep(seconds)
                return 'done'

        self.server(transport, 'slow', 'one', Slow('one'))
        client = om.get_rpc_client(transport, om.Target(topic='slow'),
                                   timeout=30, call_monitor_timeout=2)
        self.assertEqual('done', client.call({}, 'slow', seconds=5))

    def test_malformed_and_foreign_messages_are_dropped(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        transport = self.transport()
        queue = names.topic_queue('om', 'openstack', 'junk')
        junk = ['plain text', {'v': '9.0', 'k': 'call'},
                {'v': '1.0', 'k': 'call', 'id': 'x'}, [1, 2],
                {'v': '1.0', 'k': 'cast', 'id': 'y', 'ctx': 1, 'msg': {}}]
        status, _ = self.api('POST', '/v2/queues/%s/messages' % queue, {
            'messages': [{'ttl': 300, 'body': body} for body in junk]})
        self.assertEqual(201, status)
        server = self.server(transport, 'junk', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='junk'),
                                   timeout=20)
        self.assertEqual(7, client.call({}, 'echo', value=7)['value'])
        waiters.wait_until(lambda: self.message_count(queue) == 0, 10,
                           what='junk removed')
        self.assertEqual(5, log.output.count('Dropped a malformed'))
        self.assertEqual([7], server.values('echo'))

    def test_oversized_request_fails_before_sending(self):
        transport = self.transport()
        client = om.get_rpc_client(transport, om.Target(topic='big'),
                                   timeout=5)
        self.assertRaises(om.MessageDeliveryFailure, client.cast, {},
                          'note', value='x' * 262144)
        self.assertRaises(om.MessageDeliveryFailure, client.call, {},
                          'echo', value='x' * 262144)
        self.assertEqual(
            0, self.message_count(names.topic_queue('om', 'openstack',
                                                    'big')))

    def test_near_limit_payload_arrives_whole(self):
        transport = self.transport()
        self.server(transport, 'near', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='near'),
                                   timeout=20)
        value = 'é' * 100000
        self.assertEqual(value, client.call({}, 'echo', value=value)['value'])

    def test_cleanup_deletes_the_reply_and_server_queues(self):
        transport = self.transport()
        self.server(transport, 'tidy', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='tidy'),
                                   timeout=20)
        client.call({}, 'echo', value=1)
        self.assertIn('r', [names.parse(q)[1] for q in self.queue_names()])
        transport.cleanup()
        self.assertNotIn('r', [names.parse(q)[1]
                               for q in self.queue_names()])

    def test_failover_to_the_second_http_and_websocket_host(self):
        dead = fakes.free_port()
        transport = self.transport(
            'push', hosts=['127.0.0.1:%d' % dead,
                           '127.0.0.1:%d' % self.zaqar.http_port],
            websocket_url='ws://127.0.0.1:%d,%s' % (dead, self.zaqar.ws_url))
        self.server(transport, 'failover', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='failover'),
                                   timeout=20)
        self.assertEqual(1, client.call({}, 'echo', value=1)['value'])
        push = transport._driver.push
        waiters.wait_until(lambda: push.healthy, 20, what='push connected')
        self.assertEqual(2, client.call({}, 'echo', value=2)['value'])

    def test_private_conf_works_despite_global_only_options(self):
        # oslo.messaging registers [oslo_messaging_metrics] and
        # [oslo_messaging_tracing] on cfg.CONF only; self.conf is private.
        transport = self.transport()
        self.server(transport, 'private', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='private'),
                                   timeout=20)
        # Zaqar's notifier may now retry the pushes that failed during the
        # outage for minutes: calls still work (the driver polls).
        for value in range(3, 6):
            self.assertEqual(value, client.call({}, 'echo',
                                                value=value)['value'])


class Notes:
    def __init__(self):
        self.seen = []

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.seen.append(payload['n'])


class TestNotificationsOverZaqar(base.ZaqarTestCase):

    def _listener(self, transport, pool):
        notes = Notes()
        listener = om.get_notification_listener(
            transport, [om.Target(topic='notes')], [notes], pool=pool)
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)
        return notes

    def _check_pools(self, delivery):
        transport = self.transport(delivery, notifications=True)
        default = self._listener(transport, None)
        pool_a = [self._listener(transport, 'a'), self._listener(transport,
                                                                 'a')]
        pool_b = self._listener(transport, 'b')
        notifier = om.Notifier(transport, 'zt.test', driver='messaging',
                               topics=['notes'])
        for n in range(12):
            notifier.info({}, 'zt.event', {'n': n})
        expected = list(range(12))
        waiters.wait_until(
            lambda: (sorted(default.seen) == expected and
                     sorted(pool_b.seen) == expected and
                     sorted(pool_a[0].seen + pool_a[1].seen) == expected),
            20, what='each pool got each notification once')

    def test_requeue_hands_the_notification_back(self):
        transport = self.transport(notifications=True)

        class Picky(Notes):
            def info(self, ctxt, publisher_id, event_type, payload,
                     metadata):
                self.seen.append(payload['n'])
                if len(self.seen) == 1:
                    return om.NotificationResult.REQUEUE

        picky = Picky()
        listener = om.get_notification_listener(
            transport, [om.Target(topic='picky')], [picky],
            allow_requeue=True)
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)
        om.Notifier(transport, 'zt.test', driver='messaging',
                    topics=['picky']).info({}, 'zt.event', {'n': 5})
        waiters.wait_until(lambda: picky.seen == [5, 5], 20,
                           what='the notification seen twice')

    def test_a_pool_joining_later_gets_what_follows(self):
        # Driver issue 1: the notifier's cached pool list hid a new pool.
        notifying = self.transport(notifications=True,
                                   pool_refresh_interval=1)
        listening = self.transport(notifications=True,
                                   pool_refresh_interval=1)
        early = self._listener(listening, 'early')
        notifier = om.Notifier(notifying, 'zt.test', driver='messaging',
                               topics=['notes'])
        notifier.info({}, 'zt.event', {'n': 0})
        started = time.monotonic()
        late = self._listener(listening, 'late')
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        for n in range(1, 11):
            notifier.info({}, 'zt.event', {'n': n})
        waiters.wait_until(
            lambda: sorted(late.seen) == list(range(1, 11)) and
            sorted(early.seen) == list(range(11)), 20,
            what='the late pool getting all that followed (%s)' % late.seen)
        started = time.monotonic()
        self._listener(listening, 'late')
        self.assertLess(time.monotonic() - started, 1.0)

    def test_pools_push(self):
        self._check_pools('push')

    def test_pools_poll(self):
        self._check_pools('poll')


class TestSignedUrlGuest(base.ZaqarTestCase):
    """A guest holding only pre-signed URLs serves calls and casts back."""

    def test_guest_with_signed_urls_only(self):
        control = self.transport()
        conductor = self.server(control, 'conductor', 'tm')
        grants = control._driver.share_server_queues(
            om.Target(topic='guestagent.g1', server='g1'),
            '2099-01-01T00:00:00', send_topics=[(None, 'conductor')])
        path = self.useFixture(fixtures.TempDir()).join('grants.json')
        with open(path, 'w') as f:
            json.dump(grants, f)
        guest_transport = om.get_rpc_transport(
            self.conf, url='zaqar://127.0.0.1:%d/?auth=signed'
            '&signed_urls_file=%s' % (self.zaqar.http_port, path))
        self.addCleanup(guest_transport.cleanup)

        class Guest(base.Recorder):
            def heartbeat(self, ctxt):
                om.get_rpc_client(guest_transport, om.Target(
                    topic='conductor')).cast({}, 'note', value='alive')
                return 'sent'

        guest = self.server(guest_transport, 'guestagent.g1', 'g1',
                            Guest('g1'))
        client = om.get_rpc_client(
            control, om.Target(topic='guestagent.g1'), timeout=20)
        self.assertEqual('g1', client.call({}, 'echo', value=1)['server'])
        self.assertEqual('g1', client.prepare(server='g1').call(
            {}, 'echo', value=2)['server'])
        self.assertEqual('sent', client.call({}, 'heartbeat'))
        waiters.wait_until(lambda: conductor.values('note') == ['alive'],
                           20, what='the guest cast reaching the conductor')
        self.assertEqual([1, 2], guest.values('echo'))
        other = om.get_rpc_client(guest_transport, om.Target(topic='other'),
                                  retry=0)
        self.assertRaises(om.MessageDeliveryFailure, other.cast, {}, 'note',
                          value='x')
        self.assertRaises(om.MessageDeliveryFailure, other.call, {}, 'echo',
                          value='x')


class TestZaqarRestart(base.ZaqarTestCase):
    """Listeners and the push connection come back after an outage.

    These tests restart Zaqar's servers: they need their own Zaqar (class).
    """

    def _quick_transport(self, delivery):
        """A transport that notices outages and recoveries quickly."""
        return self.transport(delivery, max_retry_interval=0.5,
                              retry_interval=0.1, push_safety_interval=2)

    def _check_restart(self, delivery):
        log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        transport = self._quick_transport(delivery)
        self.server(transport, 'restart', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='restart'),
                                   timeout=30)
        self.assertEqual(1, client.call({}, 'echo', value=1)['value'])
        api = self.zaqar.kill('zaqar-api')
        ws = self.zaqar.kill('zaqar-ws')
        self.assertRaises(om.MessageDeliveryFailure,
                          client.prepare(retry=0).cast, {}, 'note', value=0)
        down, up = (('reconnecting with backoff', 'connected again')
                    if delivery == 'push' else
                    ('unreachable for listener', 'reachable again'))
        waiters.wait_until(lambda: down in log.output, 20,
                           what='the outage noticed')
        self.zaqar.restart('zaqar-api', api)
        self.zaqar.restart('zaqar-ws', ws)
        waiters.wait_until(lambda: up in log.output, 20,
                           what='the recovery noticed')
        self.assertEqual(2, client.call({}, 'echo', value=2)['value'])
        self.assertEqual(1, log.output.count(down))

    def test_restart_push(self):
        self._check_restart('push')

    def test_restart_poll(self):
        self._check_restart('poll')

    def test_push_mode_polls_while_the_websocket_is_down(self):
        transport = self._quick_transport('push')
        self.server(transport, 'nows', 'one')
        client = om.get_rpc_client(transport, om.Target(topic='nows'),
                                   timeout=20)
        self.assertEqual(1, client.call({}, 'echo', value=1)['value'])
        ws = self.zaqar.kill('zaqar-ws')
        push = transport._driver.push
        waiters.wait_until(lambda: not push.healthy, 10,
                           what='the websocket seen down')
        started = time.monotonic()
        self.assertEqual(2, client.call({}, 'echo', value=2)['value'])
        self.assertLess(time.monotonic() - started, 5)
        self.zaqar.restart('zaqar-ws', ws)
        waiters.wait_until(lambda: push.healthy, 20,
                           what='the websocket back')
        # Zaqar's notifier may now retry the pushes that failed during the
        # outage for minutes: calls still work (the driver polls).
        for value in range(3, 6):
            self.assertEqual(value, client.call({}, 'echo',
                                                value=value)['value'])
