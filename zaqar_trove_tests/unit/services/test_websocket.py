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


"""The websocket client against a loopback websocket server.

Recorded exchanges are replayed the way Zaqar answers: the recorded
response with the actual request echoed (and, for ``authenticate``, an
echo without headers). The matching tests script the server to answer
out of order, interleave pushed messages, stay silent or hang up.
"""

import copy
import threading

from tempest.lib.common import rest_client
from tempest.lib import exceptions
import testscenarios
import testtools

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import websocket
from zaqar_trove_tests.unit.services import recordings
from zaqar_trove_tests.unit.services import replay

PROJECT = 'unit-project'


def echo(request):
    """What Zaqar puts under ``request`` in its response."""
    if request['action'] == 'authenticate':
        return {'action': 'authenticate', 'body': {}, 'headers': {},
                'api': 'v2'}
    return dict(request, api='v2')


def respond(request, body, status=200):
    return {'request': echo(request), 'body': body,
            'headers': {'status': status}}


class TestRecordedWebsocketCalls(testscenarios.WithScenarios,
                                 testtools.TestCase):

    scenarios = recordings.scenarios('ws', lambda e: e.get('response'))

    def test_call(self):
        entry = self.entry
        recorded = entry['response']

        def handler(request):
            frame = copy.deepcopy(recorded)
            frame['request'] = echo(request)
            return [frame]

        server = self.useFixture(replay.WebsocketReplay(handler))
        project = entry['request']['headers'].get('X-Project-ID')
        client = websocket.WebsocketClient(
            server.url, project_id=project, client_id=entry['client_id'],
            timeout=5)
        self.addCleanup(client.close)
        call = getattr(client, entry['method'])
        if entry['raises']:
            error = self.assertRaises(getattr(exceptions, entry['raises']),
                                      call, *entry['args'], **entry['kwargs'])
            self.assertEqual(recorded['body'], error.resp_body)
            self.assertEqual(recorded['headers']['status'], error.resp.status)
        else:
            result = call(*entry['args'], **entry['kwargs'])
            if entry['method'] == 'send':
                self.assertEqual(recorded['body'], result['body'])
                self.assertEqual(recorded['headers'], result['headers'])
            else:
                self.assertIsInstance(result, rest_client.ResponseBody)
                body = recorded['body']
                self.assertEqual(body if isinstance(body, dict) else {},
                                 dict(result))
                self.assertEqual(body, result.response.frame['body'])
                self.assertEqual(recorded['headers']['status'],
                                 result.response.status)
        self.assertEqual(1, len(server.received))
        sent, expected = server.received[0], entry['request']
        self.assertEqual(expected['action'], sent['action'])
        self.assertEqual(expected['body'], sent['body'])
        self.assertEqual(entry['client_id'], sent['headers']['Client-ID'])
        self.assertEqual(project, sent['headers']['X-Project-ID'])
        self.assertIn(websocket.REQUEST_ID, sent['headers'])
        if entry['method'] == 'authenticate':
            self.assertIn('X-Auth-Token', sent['headers'])


class TestMatching(testtools.TestCase):

    def connect(self, handler, **kwargs):
        self.server = self.useFixture(replay.WebsocketReplay(handler))
        client = websocket.WebsocketClient(self.server.url,
                                           project_id=PROJECT, timeout=5,
                                           **kwargs)
        self.addCleanup(client.close)
        return client

    def test_out_of_order_responses_reach_their_callers(self):
        held = []
        both_sent = threading.Event()

        def handler(request):
            if not held:
                held.append(request)
                return []
            both_sent.set()
            name = request['body']['queue_name']
            first = held[0]
            return [respond(request, {'name': name}),
                    {'body': 'pushed', 'queue_name': 'q', 'ttl': 60,
                     'Message_Type': 'Notification'},
                    respond(first, {'name': first['body']['queue_name']})]

        client = self.connect(handler)
        results = {}

        def ask(name):
            results[name] = client.send('queue_get', {'queue_name': name})

        first = threading.Thread(target=ask, args=('first',))
        first.start()
        # The second request goes out once the server holds the first.
        self.server_waits_for(lambda: self.server.received)
        ask('second')
        first.join(5)
        self.assertTrue(both_sent.is_set())
        self.assertEqual({'name': 'first'}, results['first']['body'])
        self.assertEqual({'name': 'second'}, results['second']['body'])
        self.assertEqual('pushed', client.receive_message(1)['body'])
        self.assertEqual([], client.unmatched)

    def server_waits_for(self, predicate):
        waiters.wait_until(predicate, timeout=5, interval=0.01,
                           what='the server to get the request')

    def test_authenticate_matched_by_action_then_project_sent(self):
        def handler(request):
            if request['action'] == 'authenticate':
                return [respond(request, {'message': 'Authentified.'})]
            return [respond(request, {'queues': []})]

        client = self.connect(handler)
        client.project_id = None
        result = client.authenticate('a-token', 'project-a')
        self.assertEqual({'message': 'Authentified.'}, dict(result))
        client.queue_list()
        auth_request, list_request = self.server.received
        self.assertEqual('a-token', auth_request['headers']['X-Auth-Token'])
        self.assertEqual('project-a', auth_request['headers']['X-Project-ID'])
        self.assertEqual('project-a', list_request['headers']['X-Project-ID'])
        self.assertNotIn('X-Auth-Token', list_request['headers'])

    def test_failed_authentication_raises_unauthorized(self):
        client = self.connect(lambda request: [respond(
            request, {'error': 'Authentication failed.'}, 401)])
        self.assertRaises(exceptions.Unauthorized, client.authenticate,
                          'bad-token', PROJECT)

    def test_silence_times_out_and_late_response_is_unmatched(self):
        held = []

        def handler(request):
            if not held:
                held.append(request)
                return []
            return [respond(held[0], {'late': True}),
                    respond(request, {'queues': []})]

        client = self.connect(handler)
        self.assertRaises(websocket.WebsocketTimeout, client.send,
                          'queue_list', timeout=0.2)
        self.assertEqual({'queues': []}, client.send('queue_list')['body'])
        self.assertEqual([{'late': True}],
                         [frame['body'] for frame in client.unmatched])

    def test_receive_times_out(self):
        client = self.connect(lambda request: [])
        self.assertRaises(websocket.WebsocketTimeout, client.receive, 0.1)

    def test_hang_up_fails_pending_request_and_receive(self):
        def handler(request):
            self.server.drop_all()
            return []

        client = self.connect(handler)
        self.assertRaises(websocket.WebsocketClosed, client.send,
                          'queue_list', timeout=30)
        self.assertTrue(client.closed)
        self.assertRaises(websocket.WebsocketClosed, client.receive, 30)
        self.assertRaises(websocket.WebsocketClosed, client.queue_list)

    def test_close_is_clean(self):
        client = self.connect(lambda request: [])
        client.close()
        self.assertEqual([1000], self.server.close_codes)
        self.assertTrue(client.closed)
        self.assertRaises(websocket.WebsocketClosed, client.send, 'queue_list')

    def test_error_statuses(self):
        statuses = iter([403, 503, 409])

        def handler(request):
            return [respond(request, {'error': 'Not authentified.'},
                            next(statuses))]

        client = self.connect(handler)
        self.assertRaises(exceptions.Forbidden, client.queue_list)
        self.assertRaises(exceptions.UnexpectedResponseCode,
                          client.queue_list)
        error = self.assertRaises(exceptions.Conflict, client.queue_list)
        self.assertEqual({'error': 'Not authentified.'}, error.resp_body)
        self.assertEqual(409, error.resp.status)

    def test_unexpected_success_status_fails_the_schema(self):
        client = self.connect(lambda request: [respond(
            request, {'queues': []}, 202)])
        self.assertRaises(exceptions.InvalidHttpSuccessCode,
                          client.queue_list)

    def test_invalid_pushed_message_is_rejected(self):
        client = self.connect(lambda request: [
            {'body': 'x', 'queue_name': 'q', 'ttl': 60,
             'Message_Type': 'Notification', 'id': 'unexpected'}])
        self.assertRaises(websocket.WebsocketTimeout, client.send,
                          'queue_list', timeout=0.2)
        self.assertRaises(exceptions.InvalidHTTPResponseBody,
                          client.receive_message, 1)

    def test_signed_url_headers_and_overrides(self):
        signed = {'signature': 'ab' * 32, 'expires': '2099-01-01T00:00:00',
                  'methods': ['GET', 'POST'], 'project': 'p-signed',
                  'paths': ['/v2/queues/q/messages']}
        client = self.connect(
            lambda request: [respond(request, {'messages': []})],
            headers=auth.signed_url_headers(signed, for_websocket=True))
        client.message_list('q')
        client.send('message_list', {'queue_name': 'q'},
                    headers={'Client-ID': None, 'X-Project-ID': 'other'})
        signed_request, override_request = self.server.received
        headers = signed_request['headers']
        self.assertEqual(['GET', 'POST'], headers['URL-Methods'])
        self.assertEqual(['/v2/queues/q/messages'], headers['URL-Paths'])
        self.assertEqual('ab' * 32, headers['URL-Signature'])
        self.assertEqual('p-signed', headers['X-Project-ID'])
        self.assertNotIn('Client-ID', override_request['headers'])
        self.assertEqual('other', override_request['headers']['X-Project-ID'])
