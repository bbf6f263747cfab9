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


"""The push client's connection life against a scripted websocket server."""

import collections
import json
import random
import threading
import time

import fixtures
import testtools
import websocket

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import push
from zaqar_trove_tests.unit.rpc import fakes
from zaqar_trove_tests.unit.rpc import tiny_ws


class ExpiringAuth(auth.TokenAuth):
    """Tokens living ``life`` s, renewed as keystoneauth does.

    A new token comes with ``headers()`` once the current one has less
    than ``refresh`` s left; ``invalidate`` drops it (counted).
    """

    def __init__(self, settings, life, refresh):
        super().__init__(settings)
        self.life = life
        self.refresh = refresh
        self.number = 1
        self.fetched = time.time()
        self.invalidated = 0

    def headers(self, queue=None, method=None, kind=None):
        if self.expires_at() - time.time() < self.refresh:
            self.number += 1
            self.fetched = time.time()
        return {'X-Auth-Token': 'token-%d' % self.number,
                'X-Project-ID': self.project_id}

    def invalidate(self):
        self.invalidated += 1

    def expires_at(self):
        return self.fetched + self.life


class _FixedStart:
    """A ``random`` stand-in whose ``randrange`` returns ``start``."""

    def __init__(self, start):
        self.start = start
        self.asked = []

    def randrange(self, n):
        self.asked.append(n)
        return self.start


class TestFailoverOrder(testtools.TestCase):

    def test_rotates_to_the_chosen_start(self):
        rng = _FixedStart(1)
        self.assertEqual(['b', 'c', 'a'],
                         push.failover_order(['a', 'b', 'c'], rng))
        self.assertEqual([3], rng.asked)

    def test_start_zero_is_the_configured_order(self):
        self.assertEqual(['a', 'b'],
                         push.failover_order(['a', 'b'], _FixedStart(0)))

    def test_one_url_or_none_asks_no_random(self):
        rng = _FixedStart(5)
        self.assertEqual(['a'], push.failover_order(['a'], rng))
        self.assertEqual([], push.failover_order([], rng))
        self.assertEqual([], rng.asked)

    def test_every_start_is_chosen_uniformly(self):
        rng = random.Random(14)
        firsts = collections.Counter(
            push.failover_order(['a', 'b', 'c'], rng)[0]
            for _ in range(3000))
        self.assertEqual({'a', 'b', 'c'}, set(firsts))
        for n in firsts.values():
            self.assertTrue(850 < n < 1150, firsts)


class TestPushConnection(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.server = self.useFixture(tiny_ws.TinyWs())
        self.settings = fakes.make_settings(
            1, auth='token', token='t', websocket_url=self.server.url,
            retry_interval=0.05, max_retry_interval=0.2)

    def client(self, auth_obj):
        client = push.PushClient(self.settings, auth_obj, 'client-1')
        self.addCleanup(client.close)
        self.pushed = []
        client.subscribe('q', self.pushed.append)
        return client

    def test_authenticates_again_in_place_before_the_token_expires(self):
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar_trove_tests.rpc.push.REAUTH_MIN', 0.1))
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar_trove_tests.rpc.push.REAUTH_MARGIN', 0.2))
        auth_obj = ExpiringAuth(self.settings, life=1.0, refresh=0.3)
        self.client(auth_obj)
        waiters.wait_until(
            lambda: len(self.server.actions('authenticate')) >= 3, 10,
            interval=0.05, what='two authentications in place')
        auths = self.server.actions('authenticate')
        self.assertEqual({1}, {n for n, _ in auths})
        self.assertEqual(['token-1', 'token-2', 'token-3'],
                         [d['headers']['X-Auth-Token'] for _, d in auths[:3]])
        self.assertEqual(1, len(self.server.connections))
        self.assertEqual([1], [n for n, _ in self.server.actions(
            'subscription_create')])
        self.assertEqual(0, auth_obj.invalidated)

    def connected(self):
        client = self.client(auth.make(self.settings))
        waiters.wait_until(lambda: self.server.actions('subscription_create'),
                           10, interval=0.02, what='a subscription')
        return client

    def test_requests_get_their_own_answers(self):
        self.server.answers['claim_create'] = (
            201, {'claim_id': 'c', 'messages': [{'id': 'm', 'body': 1}]})
        self.server.answers['message_delete_many'] = (204, {})
        client = self.connected()
        finish_delete = client.send_delete('q', ['m'])
        self.assertEqual([{'id': 'm', 'body': 1}],
                         client.claim('q', 1, ttl=60, grace=60))
        self.assertEqual({}, finish_delete())
        (_, claim), = self.server.actions('claim_create')
        self.assertEqual({'queue_name': 'q', 'limit': 1, 'ttl': 60,
                          'grace': 60}, claim['body'])
        (_, delete), = self.server.actions('message_delete_many')
        self.assertEqual(['m'], delete['body']['message_ids'])

    def test_a_refusal_raises_as_over_http(self):
        self.server.answers['claim_create'] = (403, {'error': 'no'})
        client = self.connected()
        error = self.assertRaises(errors.AuthFailed, client.claim, 'q', 1,
                                  60, 60)
        self.assertIn('(403): no', str(error))
        self.server.answers['claim_create'] = (503, None)
        self.assertTrue(self.assertRaises(errors.Unreachable, client.claim,
                                          'q', 1, 60, 60).sent)

    def test_a_dropped_connection_fails_what_waits(self):
        # With a timeout no test waits for: failed by the connection's end.
        self.settings = fakes.make_settings(
            1, auth='token', token='t', websocket_url=self.server.url,
            retry_interval=0.05, max_retry_interval=0.2, http_timeout=600)
        self.server.silent.add('claim_create')
        client = self.connected()
        finish = client.send('claim_create', {'queue_name': 'q'}, 'a claim')
        self.server.drop()
        error = self.assertRaises(errors.Unreachable, finish)
        self.assertTrue(error.sent)
        self.assertIn('closed before the answer', str(error))
        self.assertEqual({}, client._pending._waiting)

    def test_no_answer_fails_after_the_timeout(self):
        self.server.silent.add('claim_create')
        client = self.connected()
        error = self.assertRaises(errors.Unreachable, client.claim, 'q', 1,
                                  60, 60)
        self.assertIn('no answer', str(error))
        self.assertEqual({}, client._pending._waiting)
        # The connection may be half-open: HTTP until it is replaced.
        self.assertFalse(self.assertRaises(
            errors.Unreachable, client.claim, 'q', 1, 60, 60).sent)
        self.assertEqual(1, len(self.server.actions('claim_create')))
        self.server.drop()
        waiters.wait_until(
            lambda: len(self.server.actions('subscription_create')) > 1, 10,
            interval=0.02, what='a new connection')
        self.server.answers['claim_create'] = (204, {'claim_id': 'c'})
        self.server.silent.clear()
        self.assertEqual([], client.claim('q', 1, 60, 60))

    def test_without_a_connection_nothing_is_sent(self):
        client = push.PushClient(self.settings, auth.make(self.settings),
                                 'c')
        self.addCleanup(client.close)
        error = self.assertRaises(errors.Unreachable, client.send_delete,
                                  'q', ['m'])
        self.assertFalse(error.sent)

    def test_keystone_away_keeps_the_token(self):
        # Driver issue F1: Zaqar answers 503 when it cannot reach keystone;
        # dropping the token then broke the HTTP client sharing it.
        self.server.auth_statuses[:] = [503, 503, 200]
        auth_obj = ExpiringAuth(self.settings, life=3600, refresh=0)
        self.client(auth_obj)
        waiters.wait_until(lambda: self.server.actions(
            'subscription_create'), 10, interval=0.05, what='subscribed')
        self.assertEqual([1, 2, 3], [n for n, _ in self.server.actions(
            'authenticate')])
        self.assertEqual(0, auth_obj.invalidated)

    def test_a_refused_token_is_dropped_and_fetched_again(self):
        self.server.auth_statuses[:] = [401, 200]
        auth_obj = ExpiringAuth(self.settings, life=3600, refresh=0)
        self.client(auth_obj)
        waiters.wait_until(lambda: self.server.actions(
            'subscription_create'), 10, interval=0.05, what='subscribed')
        self.assertEqual([1, 1], [n for n, _ in self.server.actions(
            'authenticate')])
        self.assertEqual(1, auth_obj.invalidated)

    def test_no_expiry_known_no_authentication_in_place(self):
        self.client(auth.TokenAuth(self.settings))
        waiters.wait_until(lambda: self.server.actions(
            'subscription_create'), 10, interval=0.05, what='subscribed')
        self.assertEqual(1, len(self.server.actions('authenticate')))

    def test_reconnection_deletes_the_old_subscriptions(self):
        client = self.client(auth.TokenAuth(self.settings))
        waiters.wait_until(lambda: client._sub_ids, 10, interval=0.05,
                           what='subscription confirmed')
        self.server.drop()
        waiters.wait_until(
            lambda: self.server.actions('subscription_delete'), 10,
            interval=0.05, what='the old subscription deleted')
        [(number, doc)] = self.server.actions('subscription_delete')
        self.assertEqual(2, number)
        self.assertEqual({'queue_name': 'q', 'subscription_id': 'sub-1'},
                         doc['body'])
        self.assertEqual([1, 2], [n for n, _ in self.server.actions(
            'subscription_create')])
        self.assertIn(None, self.pushed)


class _ClosingWs:
    """A connection Zaqar closes at once."""

    def __init__(self):
        self.sent = []

    def settimeout(self, timeout):
        pass

    def send(self, text):
        self.sent.append(json.loads(text))

    def recv_data_frame(self, control):
        raise websocket.WebSocketConnectionClosedException('closed')

    def abort(self):
        pass


class TestReconnectBackoff(testtools.TestCase):
    """The reconnect loop through ``backoff.Backoff``, with pure fakes.

    ``connect`` plays a script (an exception: that connection fails; a
    ``_ClosingWs``: it works, then Zaqar closes it); ``sleep`` records
    the pauses and closes the client when the script is played.
    """

    start = 0

    def _play(self, *script):
        self.useFixture(fixtures.FakeLogger())
        settings = fakes.make_settings(
            1, websocket_url='ws://127.0.0.1:1,ws://127.0.0.1:2',
            retry_interval=0.5, max_retry_interval=3)
        script = list(script)
        self.urls, self.pauses, self.pushed = [], [], []
        done = threading.Event()

        def connect(url, **kwargs):
            self.urls.append(url)
            step = script.pop(0)
            if isinstance(step, Exception):
                raise step
            return step

        def sleep(pause):
            self.pauses.append(pause)
            if not script:
                client.close()
                done.set()
            return not script

        client = push.PushClient(settings, auth.make(settings), 'c',
                                 connect=connect, sleep=sleep,
                                 rng=_FixedStart(self.start))
        self.addCleanup(client.close)
        client.subscribe('q', self.pushed.append)
        self.assertTrue(done.wait(30), 'the script was not played')

    def assertPauses(self, *steps):
        """Each pause is ``step`` doublings of 0.5 s (at most 3), +-50 %."""
        self.assertEqual(len(steps), len(self.pauses), self.pauses)
        for step, pause in zip(steps, self.pauses):
            nominal = min(0.5 * 2 ** step, 3)
            self.assertTrue(0.5 * nominal <= pause <= 1.5 * nominal,
                            (step, self.pauses))

    def test_failed_connections_back_off_to_the_next_url(self):
        self._play(*[ConnectionRefusedError()] * 6)
        self.assertPauses(0, 1, 2, 3, 4, 5)
        self.assertEqual(['ws://127.0.0.1:1', 'ws://127.0.0.1:2'] * 3,
                         self.urls)
        # Each failure wakes the consumer: it polls meanwhile.
        self.assertEqual([None] * 6, self.pushed)

    def test_a_random_start_keeps_the_failover_order(self):
        self.start = 1
        self._play(*[ConnectionRefusedError()] * 3)
        self.assertEqual(['ws://127.0.0.1:2', 'ws://127.0.0.1:1',
                          'ws://127.0.0.1:2'], self.urls)

    def test_a_connection_that_worked_starts_the_backoff_again(self):
        ws = _ClosingWs()
        self._play(OSError('refused'), OSError('refused'), ws,
                   OSError('refused'))
        self.assertPauses(0, 1, 0, 1)
        self.assertEqual(['subscription_create'],
                         [doc['action'] for doc in ws.sent])

    def test_an_unexpected_error_reconnects_with_backoff(self):
        self._play(RuntimeError('bug'), RuntimeError('bug'))
        self.assertPauses(0, 1)
