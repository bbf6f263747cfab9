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


"""Deleting claimed messages: by several ids, in the background, retried."""

import logging
import time
import uuid

import fixtures
import testtools

from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import deleter
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.unit.rpc import local_zaqar
from zaqar_trove_tests.unit.rpc import test_httpclient
from zaqar_trove_tests.unit.rpc import tiny_http
from zaqar_trove_tests.unit.rpc.tiny_http import Answer


class TestDeleteAgainstZaqar(testtools.TestCase):
    """Against a real (local) Zaqar."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.zaqar = local_zaqar.LocalZaqar()
        cls.zaqar.setUp()
        cls.addClassCleanup(cls.zaqar.cleanUp)

    def setUp(self):
        super().setUp()
        settings = test_httpclient.make_settings(self.zaqar.http_port,
                                                 project_id='zt-' + uuid.uuid4(
                                                 ).hex[:12])
        self.settings = settings
        self.client = httpclient.ZaqarClient(settings, auth.make(settings),
                                             str(uuid.uuid4()))
        self.addCleanup(self.client.close)
        self.queue = 'zt-del-' + uuid.uuid4().hex[:8]
        self.client.ensure_queue(self.queue)

    def _post(self, count):
        for start in range(0, count, 10):
            self.client.post(self.queue, self.client.encode_post(
                [{'n': i} for i in range(start, min(count, start + 10))],
                60))

    def _total(self):
        """Messages in the queue, claimed ones included."""
        _, stats = self.client.request('GET', self.queue, '/stats')
        return stats['messages']['total']

    def test_delete_several_ids_in_one_request(self):
        # Regression: the ids were sent comma-encoded (%2C) and Zaqar
        # deleted nothing as soon as there were two.
        self._post(3)
        claimed = self.client.claim(self.queue, 2)
        self.client.delete(self.queue, [m['id'] for m in claimed])
        self.assertEqual(1, self._total())

    def test_background_deletes_in_batches(self):
        self._post(45)
        the_deleter = deleter.Deleter(self.client, self.settings)
        self.addCleanup(the_deleter.stop)
        expires = time.monotonic() + httpclient.CLAIM_TTL
        for _ in range(3):
            claimed = self.client.claim(self.queue, 15)
            the_deleter.add(self.queue, [m['id'] for m in claimed], expires)
        self.assertTrue(the_deleter.flush(30))
        self.assertEqual(0, self._total())


class TestDeleteRetries(testtools.TestCase):
    """Against a scripted server: Zaqar away, then back; or refusing."""

    def _deleter(self, *script, **query):
        server = self.useFixture(tiny_http.TinyHttp(*script))
        settings = test_httpclient.make_settings(
            server.port, retry_interval=0.01, max_retry_interval=0.1,
            **query)
        client = httpclient.ZaqarClient(settings, auth.make(settings), 'c')
        self.addCleanup(client.close)
        the_deleter = deleter.Deleter(client, settings)
        self.addCleanup(the_deleter.stop, 1)
        return server, the_deleter

    def test_retried_until_zaqar_answers(self):
        server, the_deleter = self._deleter(Answer(503), Answer(503),
                                            Answer(204))
        the_deleter.add('q', ['a', 'b'], time.monotonic() + 60)
        self.assertTrue(the_deleter.flush(10))
        self.assertEqual(3, len(server.requests))
        self.assertEqual('/v2/queues/q/messages?ids=a,b',
                         server.requests[-1].path)

    def test_gives_up_when_the_claim_expires(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        server, the_deleter = self._deleter(Answer(503))
        the_deleter.add('q', ['a'], time.monotonic() + deleter.MARGIN + 0.2)
        self.assertTrue(the_deleter.flush(10))
        self.assertIn('may be delivered again', log.output)

    def test_refused_is_not_retried(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        server, the_deleter = self._deleter(Answer(400, {'title': 'no'}))
        the_deleter.add('q', ['a'], time.monotonic() + 60)
        self.assertTrue(the_deleter.flush(10))
        self.assertEqual(1, len(server.requests))
        self.assertIn('refused deleting', log.output)

    def test_more_than_a_batch_takes_several_requests(self):
        server, the_deleter = self._deleter(Answer(204))
        ids = ['m%02d' % i for i in range(deleter.BATCH + 5)]
        the_deleter.add('q', ids, time.monotonic() + 60)
        self.assertTrue(the_deleter.flush(10))
        sent = [r.path.split('ids=')[1].split(',') for r in server.requests]
        self.assertEqual([deleter.BATCH, 5], [len(s) for s in sent])
        self.assertEqual(ids, sum(sent, []))
