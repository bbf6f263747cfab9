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


"""Deleting claimed messages in the background, retried (no service).

Against a real Zaqar: ``functional/rpc/test_deleter_zaqar.py``.
"""

import logging
import threading
import time

import fixtures
import testtools

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import deleter
from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.unit.rpc import fakes
from zaqar_trove_tests.unit.rpc import tiny_http
from zaqar_trove_tests.unit.rpc.tiny_http import Answer


class _WebsocketDeletes:
    """A push client's ``send_delete``: answers, or fails with ``error``.

    ``written``: the failure comes with the answer, else at once.
    """

    def __init__(self, error=None, written=True):
        self.error = error
        self.written = written
        self.sent = []

    def send_delete(self, queue, ids):
        if self.error is not None and not self.written:
            raise self.error
        self.sent.append((queue, list(ids)))

        def finish():
            if self.error is not None:
                raise self.error
            return {}
        return finish


class TestDeleteRetries(testtools.TestCase):
    """Against a scripted server: Zaqar away, then back; or refusing."""

    def _deleter(self, *script, push=None, **query):
        server = self.useFixture(tiny_http.TinyHttp(*script))
        settings = fakes.make_settings(
            server.port, retry_interval=0.01, max_retry_interval=0.1,
            **query)
        client = httpclient.ZaqarClient(settings, auth.make(settings), 'c')
        self.addCleanup(client.close)
        the_deleter = deleter.Deleter(client, settings, push=push)
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

    def test_over_the_websocket_when_it_answers(self):
        push = _WebsocketDeletes()
        server, the_deleter = self._deleter(Answer(204), push=push)
        the_deleter.add('q', ['a', 'b'], time.monotonic() + 60)
        self.assertTrue(the_deleter.flush(10))
        self.assertEqual([('q', ['a', 'b'])], push.sent)
        self.assertEqual([], server.requests)

    def test_what_the_websocket_fails_is_deleted_over_http(self):
        for failure in (errors.Rejected('websocket says no', 400),
                        errors.Unreachable('closed', sent=True)):
            push = _WebsocketDeletes(failure)
            server, the_deleter = self._deleter(Answer(204), push=push)
            the_deleter.add('q', ['a'], time.monotonic() + 60)
            self.assertTrue(the_deleter.flush(10))
            self.assertEqual(['/v2/queues/q/messages?ids=a'],
                             [r.path for r in server.requests], failure)

    def test_without_a_websocket_over_http_at_once(self):
        push = _WebsocketDeletes(errors.Unreachable('no connection'),
                                 written=False)
        server, the_deleter = self._deleter(Answer(204), push=push)
        the_deleter.add('q', ['a'], time.monotonic() + 60)
        self.assertTrue(the_deleter.flush(10))
        self.assertEqual([], push.sent)
        self.assertEqual(1, len(server.requests))

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

    def test_add_returns_once_written_without_waiting_for_the_answer(self):
        # The server answers only when the fixture stops (or after 30 s):
        # add() returning before that cannot have waited for the answer.
        server, the_deleter = self._deleter(Answer(hang=True))
        adding = threading.Thread(target=the_deleter.add,
                                  args=('q', ['a'], time.monotonic() + 60))
        adding.start()
        waiters.wait_until(lambda: server.requests, 20, interval=0.01,
                           what='the delete received')
        adding.join(20)
        self.assertFalse(adding.is_alive(), 'add() waits for the answer')
        self.assertEqual('/v2/queues/q/messages?ids=a',
                         server.requests[0].path)
        self.assertFalse(the_deleter.flush(0.2))

    def test_more_than_a_batch_takes_several_requests(self):
        server, the_deleter = self._deleter(Answer(204))
        ids = ['m%02d' % i for i in range(deleter.BATCH + 5)]
        the_deleter.add('q', ids, time.monotonic() + 60)
        self.assertTrue(the_deleter.flush(10))
        sent = [r.path.split('ids=')[1].split(',') for r in server.requests]
        # Both are written before either answer is read, on two
        # connections: they may arrive in either order.
        self.assertEqual(sorted([ids[:deleter.BATCH], ids[deleter.BATCH:]]),
                         sorted(sent))


class _OddClient:
    """Answers the first delete with an error no code expects."""

    def __init__(self):
        self.deleted = []

    def send(self, method, queue, suffix):
        def finish():
            if not self.deleted:
                self.deleted.append(None)
                raise TypeError('unexpected')
            self.deleted.append(suffix)
        return finish


class TestSupervised(testtools.TestCase):

    def test_an_unexpected_error_does_not_end_the_thread(self):
        client = _OddClient()
        settings = fakes.make_settings(1)
        worker = deleter.Deleter(client, settings)
        self.addCleanup(worker.stop)
        log = self.useFixture(fixtures.FakeLogger(level=logging.ERROR))
        expires = time.monotonic() + 60
        worker.add('q', ['a'], expires)
        worker.add('q', ['b'], expires)
        self.assertTrue(worker.flush(10))
        self.assertEqual([None, httpclient.delete_suffix(['b'])],
                         client.deleted)
        self.assertIn('Unexpected error deleting', log.output)


class _AwayClient:
    """Zaqar away: deletes are neither written nor answered.

    With ``back_after`` N, the N+1th attempt (the first is ``send``)
    works. Records the (fake) time of every attempt.
    """

    def __init__(self, clock, back_after=None):
        self.clock = clock
        self.back_after = back_after
        self.attempts = []

    def send(self, method, queue, suffix):
        self.attempts.append(self.clock())
        raise errors.Unreachable('not written')

    def delete(self, queue, ids):
        self.attempts.append(self.clock())
        if self.back_after is None or len(self.attempts) <= self.back_after:
            raise errors.Unreachable('no answer')


class TestRetryUntilTheClaimEnds(testtools.TestCase):
    """The retry loop through ``backoff.Backoff``, on a fake clock."""

    def _run(self, client, clock, expires):
        settings = fakes.make_settings(retry_interval=0.5,
                                       max_retry_interval=2)
        worker = deleter.Deleter(client, settings, clock=clock,
                                 sleep=clock.sleep)
        self.addCleanup(worker.stop)
        worker.add('q', ['a'], expires)
        self.assertTrue(worker.flush(30))

    def test_retried_with_backoff_until_the_claim_is_about_to_end(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        clock = fakes.Clock()
        client = _AwayClient(clock)
        start = clock()
        deadline = start + 10
        self._run(client, clock, deadline + deleter.MARGIN)
        self.assertIn('may be delivered again', log.output)
        # Pauses double from retry_interval up to max_retry_interval,
        # each jittered by +-25 %.
        for n, pause in enumerate(clock.pauses):
            nominal = min(0.5 * 2 ** n, 2)
            self.assertTrue(0.75 * nominal <= pause <= 1.25 * nominal,
                            (n, clock.pauses))
        # Every attempt before the deadline, the last one close to it:
        # the next pause (at most 2.5 s) would have crossed it.
        self.assertEqual(len(clock.pauses) + 2, len(client.attempts))
        self.assertLess(clock(), deadline)
        self.assertGreater(clock(), deadline - 2.5)
        self.assertEqual(clock(), client.attempts[-1])

    def test_a_claim_ending_too_soon_gets_no_retry(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        clock = fakes.Clock()
        client = _AwayClient(clock)
        self._run(client, clock, clock() + deleter.MARGIN + 0.1)
        self.assertEqual([], clock.pauses)
        self.assertEqual(2, len(client.attempts))
        self.assertIn('may be delivered again', log.output)

    def test_deleted_once_zaqar_is_back(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        clock = fakes.Clock()
        client = _AwayClient(clock, back_after=3)
        self._run(client, clock, clock() + 60)
        self.assertEqual(4, len(client.attempts))
        self.assertEqual(2, len(clock.pauses))
        self.assertNotIn('may be delivered again', log.output)
        self.assertIn('works again', log.output)
