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


"""Requests posted twice: the decisions of ``dedupe.Duplicates``."""

import testtools

from zaqar_trove_tests.rpc import dedupe
from zaqar_trove_tests.rpc import envelope


def _marked():
    return envelope.retried(envelope.cast({}, {'method': 'm'}))


class TestDuplicates(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.posted = []
        self.dupes = dedupe.Duplicates(self.posted.append, window=4.0)

    def test_requests_not_marked_run_at_once(self):
        self.assertFalse(self.dupes.hold(envelope.cast({}, {}), 'item'))
        self.assertEqual([], self.posted)
        self.assertFalse(self.dupes.waiting)

    def test_a_marked_request_waits_for_the_window_then_runs(self):
        body = _marked()
        self.assertTrue(self.dupes.hold(body, 'item', now=100.0))
        self.assertEqual([('dq', body['id'])],
                         [(b['k'], b['x']) for b in self.posted])
        self.assertTrue(self.dupes.waiting)
        self.assertEqual(102.0, self.dupes.next_at())
        self.assertEqual([], self.dupes.due(now=101.9))
        self.assertEqual(1, len(self.posted))
        # Halfway, it asks once more (the others may have read the fanout
        # queue before Zaqar stored the first query).
        self.assertEqual([], self.dupes.due(now=102.0))
        self.assertEqual([('dq', body['id'])] * 2,
                         [(b['k'], b['x']) for b in self.posted])
        self.assertEqual(104.0, self.dupes.next_at())
        self.assertEqual([], self.dupes.due(now=103.9))
        self.assertEqual(2, len(self.posted))
        self.assertEqual(['item'], self.dupes.due(now=104.0))
        self.assertFalse(self.dupes.waiting)
        # It ran here now: a query about it is answered.
        self.dupes.on_fanout(envelope.query(body['id']))
        self.assertEqual(('dn', body['id']),
                         (self.posted[-1]['k'], self.posted[-1]['x']))

    def test_a_request_another_server_ran_is_dropped(self):
        body = _marked()
        self.dupes.hold(body, 'item', now=100.0)
        self.dupes.on_fanout(envelope.done(body['id']))
        self.assertEqual([], self.dupes.due(now=102.0))
        self.assertEqual(1, len(self.posted), 'asked again once answered')
        self.assertEqual([], self.dupes.due(now=200.0))
        self.assertFalse(self.dupes.waiting)

    def test_queries_are_answered_only_for_what_ran_here(self):
        ran, other = envelope.new_id(), envelope.new_id()
        self.dupes.ran(ran)
        self.dupes.on_fanout(envelope.query(other))
        self.assertEqual([], self.posted)
        self.dupes.on_fanout(envelope.query(ran))
        self.assertEqual([('dn', ran)],
                         [(b['k'], b['x']) for b in self.posted])

    def test_a_query_before_it_ran_here_is_answered_when_it_runs(self):
        # The unmarked first copy is claimed here while the marked second
        # copy, claimed by another server, is queried first.
        first = envelope.new_id()
        self.dupes.on_fanout(envelope.query(first))
        self.assertEqual([], self.posted)
        self.dupes.ran(first)
        self.assertEqual([('dn', first)],
                         [(b['k'], b['x']) for b in self.posted])

    def test_both_copies_here_run_once(self):
        # The marked copy waits; its own query comes back; the unmarked
        # copy runs here: the answer drops the waiting copy.
        body = _marked()
        self.dupes.hold(body, 'copy', now=100.0)
        self.dupes.on_fanout(self.posted[-1])
        self.dupes.ran(body['id'])
        self.dupes.on_fanout(self.posted[-1])
        self.assertEqual('dn', self.posted[-1]['k'])
        self.assertEqual([], self.dupes.due(now=200.0))

    def test_without_a_fanout_queue_or_a_working_one_it_runs_at_once(self):
        self.assertFalse(dedupe.Duplicates(None, 4.0).hold(_marked(), 'i'))

        def failing(body):
            raise RuntimeError('Zaqar away')

        dupes = dedupe.Duplicates(failing, 4.0)
        self.assertFalse(dupes.hold(_marked(), 'i'))

    def test_what_waits_is_bounded(self):
        for n in range(dedupe.MAX_WAITING):
            self.assertTrue(self.dupes.hold(_marked(), n, now=1.0))
        self.assertFalse(self.dupes.hold(_marked(), 'one more', now=1.0))
        self.assertEqual(list(range(dedupe.MAX_WAITING)),
                         self.dupes.due(now=10.0))
