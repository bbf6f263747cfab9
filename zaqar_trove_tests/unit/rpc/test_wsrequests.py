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


"""Websocket answers matched to their requests (no service)."""

import threading

import testtools

from zaqar_trove_tests.rpc import errors
from zaqar_trove_tests.rpc import wsrequests


def _answer(request, status, body=None):
    return {'request': {'action': 'a',
                        'headers': {wsrequests.HEADER: request.key}},
            'headers': {'status': status}, 'body': body}


class TestPending(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.pending = wsrequests.Pending()

    def test_each_answer_reaches_its_request(self):
        first, second = self.pending.add(), self.pending.add()
        self.assertTrue(self.pending.answer(_answer(second, 201, {'n': 2})))
        self.assertTrue(self.pending.answer(_answer(first, 204)))
        self.assertEqual({}, self.pending.finish(first, 'first', 0))
        self.assertEqual({'n': 2}, self.pending.finish(second, 'second', 0))

    def test_threads_waiting_at_once_each_get_their_own(self):
        requests = [self.pending.add() for _ in range(8)]
        got = {}

        def finish(request):
            got[request.key] = self.pending.finish(request, 'r', 30)

        threads = [threading.Thread(target=finish, args=(r,))
                   for r in requests]
        for thread in threads:
            thread.start()
        for request in reversed(requests):
            self.pending.answer(_answer(request, 201, {'k': request.key}))
        for thread in threads:
            thread.join(30)
        self.assertEqual({r.key: {'k': r.key} for r in requests}, got)

    def test_frames_of_nobody_are_not_answers(self):
        request = self.pending.add()
        for doc in ({}, {'request': 'x'}, {'request': {'headers': []}},
                    {'request': {'headers': {wsrequests.HEADER: 5}}},
                    {'request': {'headers': {'Other': request.key}}}):
            self.assertFalse(self.pending.answer(doc), doc)
        self.assertRaises(errors.Unreachable, self.pending.finish,
                          request, 'r', 0)

    def test_an_answer_nobody_awaits_any_more_is_dropped(self):
        request = self.pending.add()
        self.assertRaises(errors.Unreachable, self.pending.finish,
                          request, 'r', 0)
        self.assertTrue(self.pending.answer(_answer(request, 201)))
        self.assertEqual({}, self.pending._waiting)

    def test_statuses_raise_as_over_http(self):
        table = [(400, errors.Rejected), (403, errors.AuthFailed),
                 (500, errors.Unreachable), ('201', errors.Unreachable),
                 (True, errors.Unreachable), (None, errors.Unreachable)]
        for status, error in table:
            request = self.pending.add()
            self.pending.answer(_answer(request, status,
                                        {'error': 'x' * 1000}))
            raised = self.assertRaises(error, self.pending.finish,
                                       request, 'r', 0)
            self.assertLess(len(str(raised)), 300, status)

    def test_a_body_that_is_not_an_object_reads_as_empty(self):
        request = self.pending.add()
        self.pending.answer(_answer(request, 201, ['junk']))
        self.assertEqual({}, self.pending.finish(request, 'r', 0))

    def test_the_end_of_the_connection_fails_every_request(self):
        requests = [self.pending.add() for _ in range(3)]
        self.pending.fail_all()
        for request in requests:
            error = self.assertRaises(errors.Unreachable,
                                      self.pending.finish, request, 'r', 60)
            self.assertIn('closed before the answer', str(error))
