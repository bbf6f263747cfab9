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


"""The fault tests' ledgers, stream, log recorder and bad inputs."""

import logging
import threading
from urllib import parse

from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.common.faults import identity as fault_identity
from zaqar_trove_tests.common.faults import inputs as fault_inputs
from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.rpc import envelope


class TestLedger(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.ledger = ledgers.Ledger()
        for key in ('c1', 'c2', 'c3', 'c4'):
            self.ledger.sending(key)
        self.ledger.sending('k1', 'call')
        self.ledger.acked('c1', at=10.0)
        self.ledger.acked('c2', at=20.0)
        self.ledger.acked('c3', at=30.0)
        self.ledger.refused('c4', om.MessageDeliveryFailure('no'), at=25.0)

    def test_lost_are_acked_and_never_executed(self):
        self.ledger.executed('c1', 'a')
        self.ledger.executed('k1', 'b')
        self.assertEqual(['c2', 'c3'], self.ledger.lost())
        self.assertFalse(self.ledger.settled())
        self.ledger.executed('c2', 'a')
        self.ledger.executed('c3', 'b')
        self.assertTrue(self.ledger.settled())

    def test_duplicates_count_every_execution(self):
        for server in ('a', 'b', 'a'):
            self.ledger.executed('c1', server)
        self.ledger.executed('k1', 'b')
        self.ledger.executed('k1', 'b')
        self.ledger.executed('c2', 'a')
        self.assertEqual({'c1': 3, 'k1': 2}, self.ledger.duplicated())
        self.assertEqual(['a', 'b', 'a'], self.ledger.executions('c1'))

    def test_strays_and_refused_but_executed(self):
        self.ledger.executed('x9', 'a')
        self.ledger.executed('c4', 'b')
        self.assertEqual(['x9'], self.ledger.strays())
        self.assertEqual(['c4'], self.ledger.refused_but_executed())

    def test_times_and_summary(self):
        self.assertEqual([(20.0, 'c2'), (30.0, 'c3')],
                         self.ledger.acked_since(15.0))
        self.assertEqual(['c4'], self.ledger.refused_since(25.0))
        self.assertEqual([], self.ledger.refused_since(25.1))
        self.ledger.executed('c1', 'a')
        self.assertEqual({'sent': 4, 'acked': 3,
                          'refused': {'MessageDeliveryFailure': 1},
                          'lost': 2, 'duplicated': 0,
                          'refused_but_executed': 0},
                         self.ledger.summary())


class TestCallLog(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.calls = ledgers.CallLog()
        self.calls.add('k1', 0.0, 1.0, ledgers.OK, 5)
        self.calls.add('k2', 1.0, 6.5, 'MessagingTimeout', 5)
        self.calls.add('k3', 2.0, 20.0, ledgers.OK, 5)
        self.calls.add('k4', 3.0, 3.5, 'RemoteError', 5)
        self.calls.add('k5', 21.0, 21.5, ledgers.WRONG, 5)

    def test_outcomes_and_unexpected(self):
        self.assertEqual({ledgers.OK: 2, 'MessagingTimeout': 1,
                          'RemoteError': 1, ledgers.WRONG: 1},
                         self.calls.outcomes())
        self.assertEqual(['k4', 'k5'],
                         [r.key for r in self.calls.unexpected()])
        self.assertEqual(['k5'], [r.key for r in self.calls.unexpected(
            allowed=(ledgers.OK, 'MessagingTimeout', 'RemoteError'))])

    def test_overruns_against_the_timeout_or_the_recovery(self):
        self.assertEqual(['k3'], [r.key for r in self.calls.overruns(2)])
        self.assertEqual(['k2', 'k3'],
                         [r.key for r in self.calls.overruns(0.4)])
        self.assertEqual([], self.calls.overruns(2, resumed=14.0))
        self.assertEqual(['k3'], [r.key for r in self.calls.overruns(
            2, resumed=12.0)])

    def test_successes_failures_and_durations(self):
        self.assertEqual(['k3'], [r.key for r in
                                  self.calls.successes_since(2.0)])
        self.assertEqual(['k2', 'k5'], [r.key for r in
                                        self.calls.failures_since(4.0)])
        self.assertEqual(18.0, self.calls.max_duration())
        self.assertEqual(5.5, self.calls.max_duration('MessagingTimeout'))
        self.assertIsNone(ledgers.CallLog().max_duration())

    def test_report(self):
        ledger = ledgers.Ledger()
        row = ledgers.report(ledger, self.calls)
        self.assertEqual(18.0, row['slowest_call_s'])
        self.assertEqual(0, row['casts']['sent'])
        self.assertEqual(2, row['calls'][ledgers.OK])


class FakeClient:
    """An RPC client stand-in: pure logic, no transport."""

    def __init__(self, fail_casts=False, wrong=False):
        self.fail_casts = fail_casts
        self.wrong = wrong
        self.endpoint = None

    def prepare(self, **kwargs):
        return self

    def cast(self, ctxt, method, key):
        if self.fail_casts:
            raise om.MessageDeliveryFailure('down')
        self.endpoint.note(ctxt, key)

    def call(self, ctxt, method, key):
        answer = self.endpoint.echo(ctxt, key)
        return 'other' if self.wrong else answer


class TestStream(testtools.TestCase):

    def run_stream(self, client):
        ledger, calls = ledgers.Ledger(), ledgers.CallLog()
        client.endpoint = ledgers.LedgerEndpoint(ledger, 'only')
        stream = ledgers.Stream(client, ledger, calls, interval=0.001,
                                call_timeout=1, prefix='t-')
        stream.start()
        self.addCleanup(stream.stop)
        return stream

    def test_every_outcome_recorded(self):
        stream = self.run_stream(FakeClient())
        stream.wait_flowing(count=5, timeout=10)
        stream.stop()
        ledger = stream.ledger
        self.assertEqual([], ledger.lost())
        self.assertEqual({}, ledger.duplicated())
        self.assertEqual([], ledger.strays())
        self.assertEqual({ledgers.OK}, set(stream.calls.outcomes()))
        self.assertTrue(all(r.key.startswith('t-k')
                            for r in stream.calls.results()))
        self.assertEqual(0.0, stream.in_flight())

    def test_refusals_and_wrong_answers(self):
        stream = self.run_stream(FakeClient(fail_casts=True, wrong=True))
        stream.wait_outage_seen(0.0, timeout=10)
        stream.stop()
        self.assertEqual({'MessageDeliveryFailure'},
                         set(stream.ledger.refusals()))
        self.assertEqual({ledgers.WRONG}, set(stream.calls.outcomes()))

    def test_stop_reports_a_blocked_thread(self):
        gate = threading.Event()
        self.addCleanup(gate.set)

        class Blocking(FakeClient):
            def call(self, ctxt, method, key):
                gate.wait()
                return key

        stream = ledgers.Stream(Blocking(), ledgers.Ledger(),
                                ledgers.CallLog())
        stream.client.endpoint = ledgers.LedgerEndpoint(stream.ledger, 'b')
        stream.start()
        error = self.assertRaises(AssertionError, stream.stop, timeout=0.2)
        self.assertIn('still blocked', str(error))
        self.assertGreater(stream.in_flight(), 0.0)


class TestLogRecorder(testtools.TestCase):

    def test_records_children_with_times(self):
        recorder = self.useFixture(ledgers.LogRecorder('ztt.unit'))
        logging.getLogger('ztt.unit.child').debug('first %s', 'one')
        logging.getLogger('ztt.unitother').warning('not mine')
        logging.getLogger('ztt.unit').info('second')
        self.assertEqual(['first one', 'second'], recorder.messages())
        self.assertEqual(['first one'], recorder.messages(
            logger='ztt.unit.child'))
        self.assertEqual(['second'], recorder.messages('sec'))
        self.assertEqual([], recorder.messages(since=float('inf')))


class TestBadInputs(testtools.TestCase):

    def test_every_malformed_body_is_refused_by_the_driver(self):
        malformed = fault_inputs.zaqar_malformed()
        self.assertEqual(len(malformed), len({n for n, _ in malformed}))
        for name, body in malformed:
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body, ('call', 'cast'))

    def test_goods_decode(self):
        body = envelope.decode(fault_inputs.good_cast('g1'))
        self.assertEqual({'method': 'note', 'args': {'key': 'g1'}},
                         body['msg'])
        # The malformed calls are wrong in one field only.
        call = dict(fault_inputs.zaqar_malformed())['call-without-grant']
        envelope.decode(dict(call, rg=fault_inputs.SHAPED_GRANT))

    def test_oslo_refused_and_rabbit_bodies(self):
        refused = dict(fault_inputs.oslo_refused())
        self.assertEqual('9.0', refused['unknown-version']['version'])
        self.assertNotIn('method', refused['no-method'])
        junk = dict(fault_inputs.rabbit_junk())
        self.assertIn('not-json', junk)
        self.assertIn('unknown-method', junk)
        self.assertEqual(['bad-a', 'bad-b'],
                         fault_inputs.bad_keys([('a', 1), ('b', 2)]))


class TestTokenUrl(testtools.TestCase):

    def test_keystone_parts_go_token_and_project_come(self):
        url = ('zaqar://rpc:s3cret@127.0.0.1:8888,10.0.0.2:8889/'
               '?auth_url=http://127.0.0.1:5000/v3&project_name=rpc'
               '&user_domain_name=Default&project_domain_name=Default'
               '&websocket_url=ws://127.0.0.1:9000')
        out = fault_identity.token_url(url, 'gAAAA-tok_en', 'p1')
        self.assertNotIn('s3cret', out)
        self.assertNotIn('rpc', parse.urlsplit(out).netloc)
        parsed = om.TransportURL.parse(cfg.CONF, out)
        self.assertEqual([('127.0.0.1', 8888), ('10.0.0.2', 8889)],
                         [(h.hostname, h.port) for h in parsed.hosts])
        self.assertEqual([None, None], [h.username for h in parsed.hosts])
        self.assertEqual({'auth_mode': 'token', 'token': 'gAAAA-tok_en',
                          'project_id': 'p1',
                          'websocket_url': 'ws://127.0.0.1:9000'},
                         parsed.query)
