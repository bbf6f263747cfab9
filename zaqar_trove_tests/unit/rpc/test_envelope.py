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


GRANT = {'paths': ['/v2/queues/om-r-%s/messages' % ('a' * 32)],
         'methods': ['POST'], 'project': 'p1',
         'expires': '2030-01-01T00:00:00', 'signature': 'ab12'}
MID, KEY = 'c' * 32, 'd' * 32
REPLY_QUEUE = 'om-r-' + 'a' * 32


def _call(timeout=30, **kwargs):
    return envelope.call({'user': 'u'}, {'method': 'm', 'args': {}}, MID,
                         KEY, REPLY_QUEUE, GRANT, timeout, **kwargs)


class TestEncodeDecode(testtools.TestCase):

    def test_call_roundtrip(self):
        got = envelope.decode(_roundtrip(_call(call_monitor_timeout=10)))
        self.assertEqual('call', got['k'])
        self.assertEqual({'user': 'u'}, got['ctx'])
        self.assertEqual('m', got['msg']['method'])
        self.assertEqual((MID, KEY, REPLY_QUEUE, 30, 10),
                         (got['mid'], got['rk'], got['rq'], got['to'],
                          got['cm']))
        self.assertEqual(GRANT, got['rg'])

    def test_optional_fields_are_left_out(self):
        self.assertNotIn('cm', _call())

    def test_every_envelope_has_a_fresh_id(self):
        ids = {envelope.cast({}, {})['id'] for _ in range(100)}
        self.assertEqual(100, len(ids))

    def test_cast_reply_heartbeat_notification(self):
        self.assertEqual('cast', envelope.decode(
            _roundtrip(envelope.cast({}, {'method': 'x'})))['k'])
        request = _call()
        reply = envelope.decode(_roundtrip(envelope.reply(request,
                                                          [1, 'é'])))
        self.assertEqual(([1, 'é'], True, None, MID, KEY),
                         (reply['res'], reply['end'], reply.get('fail'),
                          reply['mid'], reply['rk']))
        self.assertIn('res', envelope.reply(request))
        beat = envelope.decode(_roundtrip(envelope.heartbeat(request)))
        self.assertEqual(('hb', MID, KEY), (beat['k'], beat['mid'],
                                            beat['rk']))
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
        for version in ('2.0', '0.9', 2, None, '', 'one', '1.x', ['1.1']):
            body = envelope.cast({}, {})
            body['v'] = version
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)


#: Values of every JSON type, and the numbers and strings that break
#: careless code: each field below must refuse all but its own type.
HOSTILE = {'list': [1], 'object': {'a': 1}, 'null': None, 'true': True,
           'int': 2 ** 63, 'float': 1e308, 'nan': float('nan'),
           'inf': float('inf'), 'text': 'x' * 70000, 'empty': '',
           'newline': 'c' * 32 + '\n', 'negative': -1}
#: field -> the hostile values of its own type that it must accept.
ACCEPTED = {'ctx': {'object'}, 'msg': {'object'}, 'rg': set(),
            'to': {'int', 'float'}, 'cm': {'null', 'int', 'float'},
            'res': set(HOSTILE), 'fail': {'text', 'empty', 'null',
                                          'newline'},
            'end': {'true'}, 'nv': {'int', 'float', 'text', 'empty',
                                    'newline', 'negative'}}


class TestMalformed(testtools.TestCase):

    def test_foreign_bodies(self):
        for body in ('text', 42, None, [1], {}, {'oslo.version': '2.0'},
                     {'event_type': 'x', 'payload': {}}):
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)

    def test_missing_fields(self):
        good = _call()
        for field in ('k', 'id', 'ctx', 'msg', 'mid', 'rk', 'rq', 'rg',
                      'to'):
            body = dict(good)
            del body[field]
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)

    def test_every_field_refuses_every_wrong_type(self):
        request = _call()
        goods = {'call': request, 'cast': envelope.cast({}, {}),
                 'reply': envelope.reply(request, 'r'),
                 'hb': envelope.heartbeat(request),
                 'notify': envelope.notification({}, {}, 2.0)}
        # 'to' and 'cm' refuse large, negative and non-finite numbers.
        bounded = {'to': {'int', 'float'}, 'cm': {'int', 'float'}}
        wrong = []
        for kind, good in goods.items():
            for field in good:
                if field == 'v':
                    continue
                accepted = ACCEPTED.get(field, set()) - bounded.get(
                    field, set())
                for name, value in HOSTILE.items():
                    body = dict(good, **{field: value})
                    try:
                        envelope.decode(body)
                        refused = False
                    except envelope.InvalidEnvelope:
                        refused = True
                    if refused == (name in accepted):
                        wrong.append('%s.%s = %s' % (kind, field, name))
        self.assertEqual([], wrong)

    def test_reply_queue_must_be_a_reply_queue(self):
        for queue in ('om-t-openstack__topic', 'om-r-' + 'a' * 31,
                      'om-r-' + 'A' * 32, REPLY_QUEUE + '\n', 'x'):
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              dict(_call(), rq=queue))

    def test_grants_of_the_wrong_shape(self):
        for grant in ({}, dict(GRANT, methods='POST'),
                      dict(GRANT, methods=['STEAL']),
                      dict(GRANT, signature='not hex'),
                      dict(GRANT, paths=[]), dict(GRANT, paths=[{}])):
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              dict(_call(), rg=grant))

    def test_errors_name_the_field_never_the_value(self):
        secret = 'secret-' + 'x' * 1000
        error = self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                                  dict(_call(), mid=secret))
        self.assertIn('mid', str(error))
        self.assertNotIn('secret', str(error))
        self.assertLess(len(str(error)), 100)
        error = self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                                  {k: v for k, v in _call().items()
                                   if k not in ('rk', 'to')})
        self.assertIn('missing rk, to', str(error))

    def test_deep_nesting(self):
        deep = {}
        for _ in range(5000):
            deep = {'d': deep}
        # Free-form fields are not walked; a nested field that is walked
        # fails cleanly.
        self.assertIs(deep, envelope.decode(
            dict(envelope.cast({}, {}), ctx=deep))['ctx'])
        self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                          dict(_call(), rg={'paths': [deep]}))


class TestDeadline(testtools.TestCase):
    """Judged on Zaqar's age of the request: no sender clock involved."""

    def test_call_expires_when_its_age_reaches_its_timeout(self):
        body = _call(timeout=10)
        self.assertFalse(envelope.expired(body, age=9))
        self.assertTrue(envelope.expired(body, age=10))
        self.assertEqual(4, envelope.remaining(body, age=6))

    def test_casts_and_notifications_never_expire(self):
        for body in (envelope.cast({}, {}),
                     envelope.notification({}, {}, 2.0)):
            self.assertFalse(envelope.expired(body, age=10 ** 6))
            self.assertIsNone(envelope.remaining(body, age=10 ** 6))


class TestSequence(testtools.TestCase):
    """``sq``: a sender's stream and number, optional on requests."""

    def test_numbered_requests_and_notifications_decode(self):
        for body in (_call(), envelope.cast({}, {}),
                     envelope.notification({}, {}, 2.0)):
            numbered = envelope.sequenced(body, ('a' * 32, 7))
            self.assertEqual(['a' * 32, 7], envelope.decode(numbered)['sq'])

    def test_malformed_numbers_are_refused(self):
        for sq in (['a' * 32], ['a' * 32, 0], ['a' * 32, 1.5],
                   ['a' * 32, 2 ** 53 + 1], ['A' * 32, 1], ['a' * 31, 1],
                   ['a' * 32, 1, 2], 'a', {'a': 1}, None):
            body = dict(envelope.cast({}, {}), sq=sq)
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)

    def test_hello_names_a_server(self):
        body = envelope.hello('b' * 32)
        self.assertEqual(('hi', 'b' * 32), (envelope.decode(body)['k'],
                                            envelope.decode(body)['s']))
        for server in ('b' * 31, 'B' * 32, 7, None):
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              dict(body, s=server))
        self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                          {k: v for k, v in body.items() if k != 's'})
