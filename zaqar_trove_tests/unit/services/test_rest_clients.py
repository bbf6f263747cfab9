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


"""Every REST client method against a recorded real Zaqar exchange.

A loopback server replays Zaqar's recorded response; the test checks the
request the client built (method, path and query, body, identity
headers) against the recorded one and the client's result (or raised
exception) against the recorded response.
"""

from tempest.lib.common import rest_client
from tempest.lib import exceptions
import testscenarios
import testtools

from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging
from zaqar_trove_tests.unit.services import recordings
from zaqar_trove_tests.unit.services import replay


def client_for(entry, url):
    """The recorded client, pointed at ``url``, with the same identity."""
    headers = entry['request']['headers']
    x_project_id = headers.get('X-Project-ID')
    if 'URL-Signature' in headers:
        provider = auth.signed_url(url, {
            'signature': headers['URL-Signature'],
            'expires': headers['URL-Expires'],
            'methods': headers['URL-Methods'].split(','),
            'paths': headers['URL-Paths'].split(','),
            'project': x_project_id,
        })
        x_project_id = None
    else:
        provider = auth.no_auth(url)
    return auth.build_client(getattr(messaging, entry['client']), provider,
                             client_id=entry['client_id'],
                             x_project_id=x_project_id)


class TestRecordedRestCalls(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = recordings.scenarios('rest')

    def test_call(self):
        entry = self.entry
        server = self.useFixture(replay.HTTPReplay([entry['response']]))
        client = client_for(entry, server.url)
        call = getattr(client, entry['method'])
        recorded = entry['response']
        if entry['raises']:
            error = self.assertRaises(getattr(exceptions, entry['raises']),
                                      call, **entry['kwargs'])
            # RestClient unwraps a one-key body ({'error': {...}}).
            unwrapped = list(recorded['body'].values())
            self.assertIn(error.resp_body, [recorded['body']] + unwrapped)
            self.assertEqual(recorded['status'], error.resp.status)
        else:
            result = call(**entry['kwargs'])
            self.assertIsInstance(result, rest_client.ResponseBody)
            self.assertEqual(recorded['body'] or {}, dict(result))
            self.assertEqual(recorded['status'], result.response.status)
        self.assertEqual(1, len(server.received))
        sent, expected = server.received[0], entry['request']
        self.assertEqual(expected['method'], sent['method'])
        self.assertEqual(expected['path'], sent['path'])
        self.assertEqual(expected['body'], sent['body'])
        sent_headers = {k.lower(): v for k, v in sent['headers'].items()}
        for name, value in expected['headers'].items():
            self.assertEqual(value, sent_headers.get(name.lower()), name)
        self.assertNotIn('x-auth-token', sent_headers)


class TestRecordingsCoverEveryMethod(testtools.TestCase):

    def test_every_public_method_is_recorded(self):
        recorded = {(e['client'], e['method'])
                    for _, e in recordings.load('rest')}
        for name in messaging.__all__:
            cls = getattr(messaging, name)
            own = {m for m in vars(cls) if not m.startswith('_')}
            missing = {m for m in own if (name, m) not in recorded}
            self.assertEqual(set(), missing, name)
