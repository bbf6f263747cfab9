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

"""The HTTP client's error paths against a scripted local HTTP server."""

import json

import testtools

from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.unit.rpc import fakes
from zaqar_trove_tests.unit.rpc import tiny_http
from zaqar_trove_tests.unit.rpc.tiny_http import Answer

TOKEN = 'tok-SECRET-123'


class CountingAuth(auth.TokenAuth):
    """Token auth that counts invalidations (a new token each time)."""

    def __init__(self):
        self.project_id = 'p'
        self.invalidated = 0

    def headers(self, queue=None, method=None, kind=None):
        return {'X-Auth-Token': '%s-%d' % (TOKEN, self.invalidated),
                'X-Project-ID': 'p'}

    def invalidate(self):
        self.invalidated += 1


class TestClient(testtools.TestCase):

    def client(self, *ports, **query):
        self.auth = CountingAuth()
        client = httpclient.ZaqarClient(
            fakes.make_settings(*ports, **query), self.auth,
            'client-id-1234')
        self.addCleanup(client.close)
        return client

    def serve(self, *script):
        return self.useFixture(tiny_http.TinyHttp(*script))

    def test_pop_sends_identity_and_parses_messages(self):
        server = self.serve(Answer(200, {'messages': [
            {'id': 'a', 'age': 1, 'ttl': 60, 'body': {'x': 1}}]}))
        got = self.client(server.port).pop('om-t-q', 3)
        self.assertEqual([{'x': 1}], [m['body'] for m in got])
        [request] = server.requests
        self.assertEqual(('DELETE', '/v2/queues/om-t-q/messages?pop=3'),
                         (request.method, request.path))
        self.assertEqual('client-id-1234', request.headers['Client-ID'])
        self.assertEqual('p', request.headers['X-Project-ID'])

    def test_5xx_is_unreachable_and_names_the_operation(self):
        server = self.serve(Answer(503, {'title': 'Service unavailable',
                                         'description': 'redis down'}))
        error = self.assertRaises(errors.Unreachable,
                                  self.client(server.port).pop, 'q1')
        self.assertIn('DELETE /messages on queue q1', str(error))
        self.assertIn('503', str(error))
        self.assertIn('redis down', str(error))
        self.assertNotIn(TOKEN, str(error))

    def test_4xx_is_rejected_with_zaqar_reason(self):
        server = self.serve(Answer(400, {'title': 'Invalid API request',
                                         'description': 'bad ttl'}))
        error = self.assertRaises(errors.Rejected,
                                  self.client(server.port).post, 'q1', b'{}')
        self.assertEqual(400, error.status)
        self.assertIn('bad ttl', str(error))

    def test_401_fetches_a_new_token_once(self):
        server = self.serve(Answer(401), Answer(201, {'resources': []}))
        client = self.client(server.port)
        client.post('q1', b'{}')
        self.assertEqual(1, self.auth.invalidated)
        self.assertEqual([TOKEN + '-0', TOKEN + '-1'],
                         [r.headers['X-Auth-Token'] for r in server.requests])
        server.answer(Answer(401))
        error = self.assertRaises(errors.AuthFailed, client.post, 'q1', b'{}')
        self.assertNotIn(TOKEN, str(error))
        self.assertEqual(2, self.auth.invalidated)

    def test_failover_to_the_next_host(self):
        server = self.serve(Answer(200, {'messages': []}))
        dead = fakes.free_port()
        client = self.client(dead, server.port)
        self.assertEqual([], client.pop('q1'))
        self.assertEqual([], client.pop('q1'))
        self.assertEqual(2, len(server.requests))

    def test_no_host_answers(self):
        client = self.client(fakes.free_port(),
                             fakes.free_port())
        error = self.assertRaises(errors.Unreachable, client.pop, 'q1')
        self.assertIn('ConnectionRefusedError', str(error))

    def test_connection_dropped_without_answer(self):
        server = self.serve(Answer(drop=True))
        self.assertRaises(errors.Unreachable, self.client(server.port).pop,
                          'q1')

    def test_hanging_server_times_out(self):
        server = self.serve(Answer(hang=True))
        client = self.client(server.port, http_timeout=0.3)
        error = self.assertRaises(errors.Unreachable, client.pop, 'q1')
        self.assertIn('TimeoutError', str(error))

    def test_keep_alive_connection_is_reused(self):
        server = self.serve(Answer(200, {'messages': []}))
        client = self.client(server.port)
        for _ in range(3):
            client.pop('q1')
        self.assertEqual(3, len(server.requests))
        self.assertEqual(1, len({r.peer for r in server.requests}))

    def test_server_closing_an_idle_connection_is_retried(self):
        server = self.serve(Answer(200, {'messages': []}, close_after=True),
                            Answer(200, {'messages': [{'body': 1}]}))
        client = self.client(server.port)
        client.pop('q1')
        self.assertEqual([1], [m['body'] for m in client.pop('q1')])
        self.assertEqual(2, len(server.requests))

    def test_an_answer_that_is_not_json(self):
        server = self.serve(Answer(200, raw=b'<html>proxy</html>'))
        error = self.assertRaises(errors.Unreachable,
                                  self.client(server.port).pop, 'q1')
        self.assertIn('not JSON', str(error))

    def test_oversized_post_is_refused_before_sending(self):
        server = self.serve()
        client = self.client(server.port, max_message_size=2048)
        data = client.encode_post([{'x': 'y' * 1900}], 60)
        self.assertLessEqual(len(data), 2048)
        error = self.assertRaises(errors.TooLarge, client.encode_post,
                                  [{'x': 'y' * 2048}], 60)
        self.assertIn('max_message_size (2048)', str(error))
        self.assertEqual([], server.requests)

    def test_post_body_is_compact_utf8_json(self):
        client = self.client(fakes.free_port())
        data = client.encode_post([{'x': 'é'}], 61.5)
        self.assertEqual({'messages': [{'ttl': 61, 'body': {'x': 'é'}}]},
                         json.loads(data))
        self.assertIn('é'.encode('utf-8'), data)

    def test_signed_grant_replaces_identity(self):
        server = self.serve(Answer(201, {'resources': []}))
        grant = {'paths': ['/v2/queues/q1/messages'], 'methods': ['POST'],
                 'project': 'other', 'expires': '2099-01-01T00:00:00',
                 'signature': 'abc'}
        self.client(server.port).post('q1', b'{}', grant=grant)
        headers = server.requests[0].headers
        self.assertEqual(('abc', 'POST', 'other'),
                         (headers['URL-Signature'], headers['URL-Methods'],
                          headers['X-Project-ID']))
        self.assertNotIn('X-Auth-Token', headers)

    def test_listing_follows_the_next_marker(self):
        server = self.serve(Answer(200, {
            'messages': [{'id': 'm1', 'body': 1}],
            'links': [{'rel': 'next',
                       'href': '/v2/queues/f/messages?limit=20&marker=m1'}]}))
        messages, marker = self.client(server.port).list('f', 'm0')
        self.assertEqual(('m1', 1), (marker, len(messages)))
        self.assertIn('marker=m0', server.requests[0].path)
        self.assertIn('echo=true', server.requests[0].path)
