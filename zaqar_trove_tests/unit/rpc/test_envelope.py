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

"""Message bodies: encode/decode, deadlines, versions, bad input."""

import json

import testtools

from zaqar_trove_tests.rpc import envelope


def _roundtrip(body):
    return json.loads(json.dumps(body))


class TestEncodeDecode(testtools.TestCase):

    def test_call_roundtrip(self):
        body = envelope.call({'user': 'u'}, {'method': 'm', 'args': {}},
                             'mid', 'om-r-x', 30, call_monitor_timeout=10,
                             grant={'signature': 's'}, now=1000.0)
        got = envelope.decode(_roundtrip(body))
        self.assertEqual('call', got['k'])
        self.assertEqual({'user': 'u'}, got['ctx'])
        self.assertEqual('m', got['msg']['method'])
        self.assertEqual(('mid', 'om-r-x', 1030.0, 30, 10),
                         (got['mid'], got['rq'], got['dl'], got['to'],
                          got['cm']))
        self.assertEqual({'signature': 's'}, got['rg'])

    def test_optional_fields_are_left_out(self):
        body = envelope.call({}, {}, 'mid', 'q', 5)
        self.assertNotIn('rg', body)
        self.assertNotIn('cm', body)

    def test_every_envelope_has_a_fresh_id(self):
        ids = {envelope.cast({}, {})['id'] for _ in range(100)}
        self.assertEqual(100, len(ids))

    def test_cast_reply_heartbeat_notification(self):
        self.assertEqual('cast', envelope.decode(
            _roundtrip(envelope.cast({}, {'method': 'x'})))['k'])
        reply = envelope.decode(_roundtrip(envelope.reply('m', [1, 'é'])))
        self.assertEqual(([1, 'é'], True, None),
                         (reply['res'], reply['end'], reply.get('fail')))
        self.assertIn('res', envelope.reply('m'))
        self.assertEqual('hb', envelope.decode(
            _roundtrip(envelope.heartbeat('m')))['k'])
        note = envelope.decode(_roundtrip(
            envelope.notification({}, {'event_type': 'e'}, 2.0)))
        self.assertEqual(2.0, note['nv'])

    def test_allowed_kinds(self):
        body = envelope.cast({}, {})
        self.assertRaises(envelope.InvalidEnvelope, envelope.decode, body,
                          ('reply', 'hb'))


class TestVersions(testtools.TestCase):

    def test_same_major_newer_minor_is_accepted(self):
        body = envelope.cast({}, {})
        body.update(v='1.7', future_field={'x': 1})
        self.assertEqual('1.7', envelope.decode(body)['v'])

    def test_other_major_is_refused(self):
        for version in ('2.0', '0.9', 2, None, '', 'one'):
            body = envelope.cast({}, {})
            body['v'] = version
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)


class TestMalformed(testtools.TestCase):

    def test_foreign_bodies(self):
        for body in ('text', 42, None, [1], {}, {'oslo.version': '2.0'},
                     {'event_type': 'x', 'payload': {}}):
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)

    def test_missing_or_wrong_fields(self):
        good = envelope.call({}, {}, 'm', 'q', 5)
        for field in ('k', 'id', 'ctx', 'msg', 'mid', 'rq', 'dl'):
            body = dict(good)
            del body[field]
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)
        for field, value in (('ctx', []), ('msg', 'x'), ('rq', ''),
                             ('dl', 'soon'), ('k', 'dance'), ('id', 7)):
            body = dict(good, **{field: value})
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)


class TestDeadline(testtools.TestCase):

    def test_call_expires_at_its_deadline(self):
        body = envelope.call({}, {}, 'm', 'q', 10, now=100.0)
        self.assertFalse(envelope.expired(body, now=109.9))
        self.assertTrue(envelope.expired(body, now=110.0))
        self.assertAlmostEqual(4.5, envelope.remaining(body, now=105.5))

    def test_zaqar_age_expires_a_call_even_with_a_skewed_clock(self):
        body = envelope.call({}, {}, 'm', 'q', 10, now=100.0)
        # The server's clock is 60 s behind; Zaqar says the message is old.
        self.assertFalse(envelope.expired(body, age=10, now=45.0))
        self.assertTrue(envelope.expired(body, age=11, now=45.0))

    def test_casts_and_notifications_never_expire(self):
        for body in (envelope.cast({}, {}),
                     envelope.notification({}, {}, 2.0)):
            self.assertFalse(envelope.expired(body, age=10 ** 6,
                                              now=10 ** 12))
            self.assertIsNone(envelope.remaining(body))
