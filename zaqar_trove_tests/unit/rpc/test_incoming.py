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

"""What oslo gets from a listener (``incoming``), with a fake driver.

Which messages a listener hands over at all is in
``test_listener_decisions`` (``TestWhatIsHandedOver``, ``TestPostedTwice``);
here: what a handed-over message does when oslo answers, acknowledges or
requeues it, and the bounded memory of ids seen.
"""

import testtools

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import incoming
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.unit.rpc import fakes


def _failure(text):
    """An exception as oslo hands it to ``reply`` (``sys.exc_info()``)."""
    return ValueError, ValueError(text), None


class _Listener:
    """What an incoming message asks of its listener."""

    def __init__(self):
        self.driver = fakes.Driver()
        self.requeued = []

    def requeue(self, queue, body):
        self.requeued.append((queue, body))


class TestRpcIncoming(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.listener = _Listener()
        self.replies = self.listener.driver.replies

    # kind, what oslo does -> envelopes sent back (kinds), raise_errors
    TABLE = [
        ('call', lambda m: m.reply({'r': 1}), ['reply'], False),
        ('call', lambda m: m.reply(failure=_failure('v')), ['reply'],
         False),
        ('call', lambda m: m.heartbeat(), ['hb'], True),
        ('call', lambda m: (m.acknowledge(), m.requeue()), [], None),
        ('cast', lambda m: m.reply({'r': 1}), [], None),
        ('cast', lambda m: m.heartbeat(), [], None),
    ]

    def test_table(self):
        for kind, act, sent, raise_errors in self.TABLE:
            del self.replies[:]
            body = fakes.call(1) if kind == 'call' else fakes.cast(1)
            act(incoming.RpcIncoming(self.listener, body, 123.0))
            self.assertEqual(sent, [b['k'] for _, b, _, _ in self.replies],
                             (kind, sent))
            for request, reply, deadline, raising in self.replies:
                self.assertIs(body, request)
                self.assertEqual((body['mid'], body['rk']),
                                 (reply['mid'], reply['rk']))
                self.assertEqual((123.0, raise_errors), (deadline, raising))

    def test_a_reply_carries_the_result_or_the_failure(self):
        body = fakes.call(1)
        message = incoming.RpcIncoming(self.listener, body, 123.0)
        message.reply({'r': 1})
        message.reply(failure=_failure('bad value'))
        [(_, ok, _, _), (_, failed, _, _)] = self.replies
        self.assertEqual(({'r': 1}, None), (ok['res'], ok.get('fail')))
        self.assertIsNone(failed['res'])
        self.assertIn('bad value', failed['fail'])
        for reply in (ok, failed):
            envelope.decode(reply, ('reply',))

    def test_what_oslo_reads(self):
        body = fakes.call(7, monitor=10)
        message = incoming.RpcIncoming(self.listener, body, 99.0)
        self.assertEqual((body['ctx'], body['msg'], body['mid'], 10, 99.0),
                         (message.ctxt, message.message, message.msg_id,
                          message.client_timeout, message.deadline))
        cast = incoming.RpcIncoming(self.listener, fakes.cast(1))
        self.assertIsNone(cast.deadline)


class TestNotificationIncoming(testtools.TestCase):

    def test_requeue_hands_it_back_to_its_queue(self):
        listener = _Listener()
        body = envelope.notification({'c': 1}, {'m': 2}, 2.0)
        message = incoming.NotificationIncoming(listener, body, 'n.info')
        self.assertEqual(({'c': 1}, {'m': 2}),
                         (message.ctxt, message.message))
        message.acknowledge()
        self.assertEqual([], listener.requeued)
        message.requeue()
        self.assertEqual([('n.info', body)], listener.requeued)

    def test_a_requeued_notification_can_come_back_to_the_listener(self):
        # The listener forgets its id: the copy read later is not taken
        # for a duplicate.
        driver = fakes.Driver()
        listener = zlistener.ZaqarListener(driver, [zlistener.Source('n')],
                                           notifications=True)
        body = envelope.notification({}, {}, 2.0)
        self.assertTrue(listener._ids.add(body['id']))
        listener.requeue('n', body)
        self.assertEqual([('n', [body])], driver.posts)
        self.assertTrue(listener._ids.add(body['id']))


class TestRecentIds(testtools.TestCase):

    def test_seen_once_then_a_duplicate(self):
        ids = incoming.RecentIds()
        self.assertEqual([True, False, True],
                         [ids.add('a'), ids.add('a'), ids.add('b')])
        self.assertIn('a', ids)
        ids.discard('a')
        self.assertNotIn('a', ids)
        ids.discard('never')

    def test_the_oldest_are_forgotten_first(self):
        ids = incoming.RecentIds(size=3)
        for key in 'abcd':
            ids.add(key)
        self.assertEqual([False, True, True, True],
                         [k in ids for k in 'abcd'])
        # Seeing an id again does not make it younger.
        ids.add('b')
        ids.add('e')
        self.assertNotIn('b', ids)

    def test_ids_are_forgotten_after_the_horizon(self):
        now = [0.0]
        ids = incoming.RecentIds(horizon=600.0, clock=lambda: now[0])
        ids.add('a')
        now[0] = 300.0
        ids.add('b')
        now[0] = 600.0
        self.assertEqual([True, True], ['a' in ids, 'b' in ids])
        now[0] = 600.5
        self.assertNotIn('a', ids)
        self.assertIn('b', ids)
        # A forgotten id is new again; the set holds only the horizon.
        self.assertTrue(ids.add('a'))
        now[0] = 2000.0
        self.assertEqual([False, False], ['a' in ids, 'b' in ids])
        self.assertEqual(0, len(ids._ids))
