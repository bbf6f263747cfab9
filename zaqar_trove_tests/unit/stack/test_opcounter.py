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

"""The Zaqar processes' operation counters and the benchmark's reader."""

import glob
import json
import os
from unittest import mock

import fixtures
import testtools

from zaqar_trove_tests.bench import opsmeter
from zaqar_trove_tests.stack import opcounter
from zaqar_trove_tests.stack import opkinds


def _app(environ, start_response):
    start_response('204 No Content', [])
    return [b'']


class TestCountingApp(testtools.TestCase):

    def _call(self, app, method, path, query=''):
        return app({'REQUEST_METHOD': method, 'PATH_INFO': path,
                    'QUERY_STRING': query}, lambda *a: None)

    def test_counts_and_passes_through(self):
        counter = opcounter.Counter('zaqar')
        app = opcounter.CountingApp(_app, counter)
        self.assertEqual([b''], self._call(app, 'POST',
                                           '/v2/queues/q/messages'))
        self._call(app, 'POST', '/v2/queues/q/messages')
        self._call(app, 'DELETE', '/v2/queues/q/messages', 'pop=1')
        self.assertEqual({'POST messages': 2, 'DELETE messages?pop': 1},
                         counter.counts())

    def test_a_failing_classifier_never_breaks_a_request(self):
        counter = opcounter.Counter('zaqar')
        app = opcounter.CountingApp(_app, counter)
        with mock.patch.object(opkinds, 'http_kind',
                               side_effect=RuntimeError('boom')):
            self.assertEqual([b''], app({}, lambda *a: None))
        self.assertEqual({'other': 1}, counter.counts())


class _Handler:

    @staticmethod
    def validate_request(payload, req):
        return ('validated', payload, req)

    def on_open(self):
        return 'opened'


class TestWrap(testtools.TestCase):

    def test_static_and_bound_methods_keep_working(self):
        counter = opcounter.Counter('zaqar-websocket')
        self.addCleanup(setattr, _Handler, 'validate_request',
                        staticmethod(_Handler.validate_request))
        self.addCleanup(setattr, _Handler, 'on_open', _Handler.on_open)
        opcounter._wrap(_Handler, 'validate_request', opcounter._action,
                        counter, static=True)
        opcounter._wrap(_Handler, 'on_open', lambda self: 'connect',
                        counter)
        handler = _Handler()
        self.assertEqual(('validated', {'action': 'message_post'}, 'r'),
                         handler.validate_request({'action': 'message_post'},
                                                  'r'))
        handler.validate_request(['not', 'a', 'dict'], None)
        self.assertEqual('opened', handler.on_open())
        self.assertEqual({'message_post': 1, 'other': 1, 'connect': 1},
                         counter.counts())

    def test_a_failing_kind_counts_other_and_calls_through(self):
        counter = opcounter.Counter('zaqar-websocket')
        self.addCleanup(setattr, _Handler, 'on_open', _Handler.on_open)
        opcounter._wrap(_Handler, 'on_open', lambda self: 1 / 0, counter)
        self.assertEqual('opened', _Handler().on_open())
        self.assertEqual({'other': 1}, counter.counts())


class TestInstallWebsocket(testtools.TestCase):

    def test_patches_zaqar_and_counts_frames(self):
        from zaqar.api import handler
        from zaqar.transport.websocket import factory
        from zaqar.transport.websocket import protocol
        for owner, name in ((handler.Handler, 'validate_request'),
                            (protocol.MessagingProtocol, 'onOpen'),
                            (factory.NotificationFactory, 'send_data')):
            self.addCleanup(setattr, owner, name, owner.__dict__[name])
        counter = opcounter.Counter('zaqar-websocket')
        opcounter.install_websocket(counter)
        payload = {'action': 'message_post', 'headers': {},
                   'body': {'queue_name': 'q', 'messages': [{'body': 1}]}}
        req = handler.Handler.create_request(payload)
        # Called on an instance, as Zaqar does: still a staticmethod.
        instance = handler.Handler.__new__(handler.Handler)
        self.assertEqual(
            type(handler.Handler.validate_request.__wrapped__(payload, req)),
            type(instance.validate_request(payload, req)))
        notifications = factory.NotificationFactory(mock.Mock(_protos={}))
        notifications.send_data(b'{}', 'gone')
        self.assertEqual({'message_post': 1, 'webhook': 1,
                          'push_dropped': 1}, counter.counts())


class TestAnswers(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def test_no_directory_only_counts(self):
        self.useFixture(fixtures.EnvironmentVariable(opcounter.DIR_ENV))
        self.assertFalse(opcounter.Counter('zaqar').start())

    def test_snapshots_wait_for_every_live_process(self):
        counter = opcounter.Counter('zaqar')
        self.assertTrue(counter.start(self.dir))
        self.addCleanup(counter.stop)
        # A process that exited: its last answer still counts.
        opcounter.write_json(os.path.join(self.dir, 'zaqar-1.json'), {
            'service': 'zaqar', 'pid': 1, 'stamp': 0,
            'counts': {'PUT queue': 7}})
        ops = opsmeter.Ops(self.dir, lambda: {os.getpid()}, timeout=60)
        meter = opsmeter.Meter(ops).start()
        counter.count('POST messages')
        counter.count('POST messages')
        self.assertEqual({'http': {'POST messages': 2}}, meter.stop())
        mine = glob.glob(os.path.join(self.dir, 'zaqar-%d-*.json' %
                                      os.getpid()))
        self.assertEqual(1, len(mine))
        with open(mine[0]) as f:
            answer = json.load(f)
        self.assertEqual({'POST messages': 2}, answer['counts'])
        self.assertEqual(
            {'http': {'POST messages': 2, 'PUT queue': 7}}, ops.snapshot())

    def test_a_silent_process_means_uncounted_not_a_crash(self):
        logs = self.useFixture(fixtures.FakeLogger())
        opcounter.write_json(os.path.join(self.dir, 'zaqar-1.json'), {
            'service': 'zaqar', 'pid': 1, 'stamp': 0, 'counts': {}})
        ops = opsmeter.Ops(self.dir, lambda: {1}, timeout=0.1)
        meter = opsmeter.Meter(ops).start()
        self.assertIsNone(meter.stop())
        self.assertIn('not counted', logs.output)

    def test_pending(self):
        answers = [{'pid': 1, 'stamp': 5}, {'pid': 2, 'stamp': 3},
                   {'pid': 3, 'stamp': 1}]
        self.assertEqual([2], opsmeter.pending(answers, {1, 2}, 5))

    def test_no_counters_no_ops(self):
        target = mock.Mock()
        target.stack.paths.zaqar_ops = self.dir
        self.assertIsNone(opsmeter.Ops.of(target))
        self.assertIsNone(opsmeter.Meter(None).start().stop())
