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

import time

import fixtures
import testtools

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import auth
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
