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


"""The pure helpers of the RPC contracts: URLs, queue kinds, waiting."""

import threading

from oslo_config import cfg
import oslo_messaging as om
from tempest.lib import auth
import testtools

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import urls as rpc_urls

STACK_URL = ('zaqar://rpc:s3cret@127.0.0.1:8888,10.0.0.2:8889/'
             '?auth_url=http://127.0.0.1:5000/v3&project_name=rpc'
             '&user_domain_name=Default&project_domain_name=Default'
             '&websocket_url=ws://127.0.0.1:9000')


def parse(url):
    return om.TransportURL.parse(cfg.CONF, url)


class TestDerive(testtools.TestCase):

    def test_replaces_credentials_on_every_host(self):
        url = parse(rpc_urls.derive(STACK_URL, 'b@b', 'p:w/'))
        self.assertEqual([('b@b', 'p:w/', '127.0.0.1', 8888),
                          ('b@b', 'p:w/', '10.0.0.2', 8889)],
                         [(h.username, h.password, h.hostname, h.port)
                          for h in url.hosts])

    def test_empty_username_removes_credentials(self):
        url = parse(rpc_urls.derive(STACK_URL, '', 'ignored'))
        self.assertEqual([(None, None)] * 2,
                         [(h.username, h.password) for h in url.hosts])

    def test_none_keeps_credentials(self):
        url = parse(rpc_urls.derive(STACK_URL, delivery='poll'))
        self.assertEqual(('rpc', 's3cret'),
                         (url.hosts[0].username, url.hosts[0].password))

    def test_query_replaced_removed_appended(self):
        url = parse(rpc_urls.derive(STACK_URL, project_name=None,
                                    websocket_url='ws://h:1',
                                    signed_urls_file='/tmp/a b&c.json'))
        self.assertEqual({'auth_url': 'http://127.0.0.1:5000/v3',
                          'user_domain_name': 'Default',
                          'project_domain_name': 'Default',
                          'websocket_url': 'ws://h:1',
                          'signed_urls_file': '/tmp/a b&c.json'},
                         url.query)
        self.assertEqual('zaqar', url.transport)

    def test_for_credentials_names_the_project_by_id(self):
        creds = auth.KeystoneV3Credentials(
            username='alt', password='pw', project_id='p1',
            user_domain_name='Other')
        url = parse(rpc_urls.for_credentials(STACK_URL, creds,
                                             delivery='poll'))
        self.assertEqual(('alt', 'pw'),
                         (url.hosts[0].username, url.hosts[0].password))
        self.assertEqual({'auth_url': 'http://127.0.0.1:5000/v3',
                          'user_domain_name': 'Other',
                          'project_id': 'p1',
                          'websocket_url': 'ws://127.0.0.1:9000',
                          'delivery': 'poll'}, url.query)


class TestQueueKind(testtools.TestCase):

    def test_kinds(self):
        self.assertEqual('r', rpc_guests.queue_kind('om-r-abc'))
        self.assertEqual('s', rpc_guests.queue_kind('om-sh-abc-digest'))
        self.assertEqual('t', rpc_guests.queue_kind('om-t-a__b-c'))

    def test_foreign_names(self):
        for name in ('plain', 'a-', '-', 'a--b'):
            self.assertIsNone(rpc_guests.queue_kind(name), name)


class TestWaitingHelpers(testtools.TestCase):

    def test_never_passes_when_nothing_happens(self):
        harness.never(lambda: False, 0.05, 'nothing')

    def test_never_fails_naming_what_happened(self):
        error = self.assertRaises(AssertionError, harness.never,
                                  lambda: ['dup'], 1, 'a duplicate')
        self.assertIn("did: a duplicate (saw ['dup'])", str(error))

    def test_timed_failure(self):
        def boom():
            raise KeyError('k')

        error, elapsed = harness.timed_failure(KeyError, boom)
        self.assertIsInstance(error, KeyError)
        self.assertGreaterEqual(elapsed, 0)
        self.assertRaises(AssertionError, harness.timed_failure, KeyError,
                          lambda: 'fine')

    def test_run_concurrently_keeps_order_and_uses_threads(self):
        barrier = threading.Barrier(4, timeout=10)

        def meet(n):
            barrier.wait()
            return n * 2

        self.assertEqual([0, 2, 4, 6], harness.run_concurrently(
            meet, [(n,) for n in range(4)], 4))


class TestRecorder(testtools.TestCase):

    def test_echo_note_and_failures(self):
        recorder = rpc_endpoints.Recorder('s1')
        self.assertEqual({'server': 's1', 'value': [1]},
                         recorder.echo({}, [1]))
        recorder.note({}, 'n')
        self.assertRaises(ValueError, recorder.fail, {}, 'builtin', 'm')
        self.assertRaises(rpc_endpoints.errors.AllowedError,
                          recorder.fail, {}, 'allowed', 'm')
        self.assertRaises(rpc_endpoints.UnlistedError, recorder.fail, {},
                          'other', 'm')
        self.assertEqual([[1]], recorder.values('echo'))
        self.assertEqual(['n'], recorder.values('note'))
        self.assertEqual(['builtin', 'allowed', 'other'],
                         recorder.values('fail'))

    def test_notification_recorder_has_every_priority(self):
        recorder = rpc_endpoints.NotificationRecorder('n')
        for priority in rpc_endpoints.PRIORITIES:
            getattr(recorder, priority)({}, 'pub', 'ev.' + priority,
                                        priority, {})
        self.assertEqual(list(rpc_endpoints.PRIORITIES),
                         recorder.payloads())
        self.assertEqual([('pub', 'ev.info', 'info')],
                         recorder.record.values('info'))
