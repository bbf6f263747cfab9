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


"""The identity the clients put on the wire, and how they build URLs."""

from tempest.lib.common import rest_client
import testtools

from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging
from zaqar_trove_tests.services.messaging import base
from zaqar_trove_tests.unit.services import replay

SIGNED = {'signature': 'cd' * 32, 'expires': '2099-01-01T00:00:00',
          'methods': ['GET', 'POST'], 'project': 'project-a',
          'paths': ['/v2/queues/q/claims', '/v2/queues/q/messages']}
EMPTY_PAGE = {'status': 200, 'headers': {'content-type': 'application/json'},
              'body': {'queues': [], 'links': []}}


class TestHeaderHelpers(testtools.TestCase):

    def test_signed_url_headers(self):
        self.assertEqual({
            'URL-Signature': 'cd' * 32,
            'URL-Expires': '2099-01-01T00:00:00',
            'URL-Methods': 'GET,POST',
            'URL-Paths': '/v2/queues/q/claims,/v2/queues/q/messages',
            'X-Project-ID': 'project-a',
        }, auth.signed_url_headers(SIGNED))

    def test_signed_url_headers_for_websocket_are_lists(self):
        headers = auth.signed_url_headers(SIGNED, for_websocket=True)
        self.assertEqual(['GET', 'POST'], headers['URL-Methods'])
        self.assertEqual(SIGNED['paths'], headers['URL-Paths'])

    def test_overrides_replace_and_remove(self):
        headers = auth.signed_url_headers(
            SIGNED, overrides={'URL-Methods': 'DELETE', 'URL-Expires': None})
        self.assertEqual('DELETE', headers['URL-Methods'])
        self.assertNotIn('URL-Expires', headers)

    def test_token_headers(self):
        self.assertEqual({'X-Auth-Token': 't'}, auth.token_headers('t'))
        self.assertEqual({'X-Auth-Token': 't', 'X-Project-ID': 'p'},
                         auth.token_headers('t', 'p'))


class TestStaticAuthProvider(testtools.TestCase):

    def test_decorates_without_keystone(self):
        provider = auth.token('http://zaqar:8888/', 'tok', 'p',
                              extra_headers={'X-Extra': '1'})
        url, headers, body = provider.auth_request(
            'GET', 'v2/queues', headers={'X-Project-ID': 'mine', 'A': 'b'},
            body='{}')
        self.assertEqual('http://zaqar:8888/v2/queues', url)
        self.assertEqual({'X-Project-ID': 'p', 'A': 'b', 'X-Auth-Token': 'tok',
                          'X-Extra': '1'}, headers)
        self.assertEqual('{}', body)
        self.assertEqual('tok', provider.get_token())
        self.assertEqual('http://zaqar:8888', provider.base_url({}))

    def test_no_auth_has_no_token_nor_project(self):
        provider = auth.no_auth('http://zaqar:8888')
        self.assertIsNone(provider.get_token())
        client = auth.build_client(messaging.QueuesClient, provider)
        self.assertIsNone(client.project_id)
        self.assertEqual('http://zaqar:8888', client.base_url)


class TestOnTheWire(testtools.TestCase):

    def sent_headers(self, make_provider, client_id=None, **client_kwargs):
        server = self.useFixture(replay.HTTPReplay([EMPTY_PAGE]))
        client = auth.build_client(messaging.QueuesClient,
                                   make_provider(server.url), **client_kwargs)
        if client_id is not None:
            client.client_id = client_id or None
        client.list_queues()
        return {k.lower(): v for k, v in server.received[0]['headers'].items()}

    def test_no_auth(self):
        headers = self.sent_headers(auth.no_auth, client_id='cid')
        self.assertEqual('cid', headers['client-id'])
        self.assertNotIn('x-auth-token', headers)
        self.assertNotIn('x-project-id', headers)

    def test_foreign_token_with_victim_project_wins_over_client(self):
        headers = self.sent_headers(
            lambda url: auth.token(url, 'token-of-b', 'project-of-a'),
            x_project_id='project-of-b')
        self.assertEqual('token-of-b', headers['x-auth-token'])
        self.assertEqual('project-of-a', headers['x-project-id'])

    def test_signed_url_and_no_client_id(self):
        headers = self.sent_headers(
            lambda url: auth.signed_url(url, SIGNED), client_id='')
        self.assertNotIn('client-id', headers)
        self.assertNotIn('x-auth-token', headers)
        self.assertEqual('GET,POST', headers['url-methods'])
        self.assertEqual('project-a', headers['x-project-id'])

    def test_json_patch_content_type(self):
        server = self.useFixture(replay.HTTPReplay([{
            'status': 200, 'headers': {'content-type': 'application/json'},
            'body': dict.fromkeys(
                ['_dead_letter_queue', '_dead_letter_queue_messages_ttl',
                 '_max_claim_count'], None) | {
                '_default_message_delay': 0, '_default_message_ttl': 3600,
                '_enable_encrypt_messages': False,
                '_max_messages_post_size': 262144}}]))
        client = auth.build_client(messaging.QueuesClient,
                                   auth.no_auth(server.url))
        client.update_queue('q', [{'op': 'remove', 'path': '/metadata/a'}])
        self.assertEqual(
            'application/openstack-messaging-v2.0-json-patch',
            server.received[0]['headers']['Content-Type'])


class TestUrls(testtools.TestCase):

    def test_segments_quoted_query_sorted_and_typed(self):
        url = base.MessagingClient.url(
            'queues', 'a b/c', 'messages', ids=['x', 'y'], echo=True,
            include_claimed=False, limit=5, marker=None)
        self.assertEqual('v2/queues/a%20b%2Fc/messages?echo=true&ids=x,y'
                         '&include_claimed=false&limit=5', url)

    def test_no_query(self):
        self.assertEqual('v2/ping', base.MessagingClient.url('ping'))

    def test_resource_id(self):
        body = rest_client.ResponseBody(
            {'location': '/v2/queues/q/claims/abc'}, {})
        self.assertEqual('abc', base.resource_id(body))
        self.assertIsNone(base.resource_id(rest_client.ResponseBody({}, {})))
