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

"""Queue names: alphabet, length, injectivity, stability."""

import itertools
import random
import re
import uuid

import testtools

from zaqar_trove_tests.rpc import names

ZAQAR_NAME = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
OURS = re.compile(r'^[a-z0-9_-]{1,64}$')

TRICKY = [
    '', '.', '..', '_', '__', '___', '-', '--', 'a', 'A', 'a.b', 'a_b',
    'a-b', 'a__b', 'a_p', 'a.p', '_p', '_2e', '.2e', 'a b', 'a/b', 'a\\b',
    'é', 'e\u0301', '\u00e9', '日本', '\x00', '\n', '%2e', 'a.', '.a',
    'guestagent', 'guestagent.', 'GuestAgent', 'trove', 'openstack',
    'x' * 64, 'x' * 65, 'x' * 200, '_' * 40, '.' * 40,
    'guestagent.0c6b2c1e-77a2-4d0f-9b7e-3f1a2b3c4d5e',
    'guestagent.0C6B2C1E-77A2-4D0F-9B7E-3F1A2B3C4D5E',
]


def _all_names(prefix='om'):
    """``[((kind, components...), name)]`` over pairs of tricky inputs."""
    out = []
    for a, b in itertools.product(TRICKY, repeat=2):
        out += [
            (('topic', a, b), names.topic_queue(prefix, a, b)),
            (('fanout', a, b), names.fanout_queue(prefix, a, b)),
            (('notification', a, b),
             names.notification_queue(prefix, a, b)),
            (('notification', 'x', a, b),
             names.notification_queue(prefix, 'x', a, b)),
            (('server', 'x', a, b), names.server_queue(prefix, 'x', a, b)),
            (('server', a, 'x', b), names.server_queue(prefix, a, 'x', b)),
        ]
    out += [(('reply', '%032x' % i), names.reply_queue(prefix, '%032x' % i))
            for i in range(len(TRICKY))]
    return out


class TestEncoding(testtools.TestCase):

    def test_plain_characters_stand_for_themselves(self):
        self.assertEqual('guestagent_p0c6b-77a2', names.encode_component(
            'guestagent.0c6b-77a2'))

    def test_escapes(self):
        self.assertEqual('_p', names.encode_component('.'))
        self.assertEqual('_5f', names.encode_component('_'))
        self.assertEqual('_41', names.encode_component('A'))
        self.assertEqual('_c3_a9', names.encode_component('é'))

    def test_decoding_inverts_encoding(self):
        for parts in itertools.product(TRICKY[:25], repeat=2):
            body = names.SEPARATOR.join(
                names.encode_component(p) for p in parts)
            self.assertEqual(list(parts), names.decode_body(body))

    def test_decoding_rejects_garbage(self):
        for bad in ('_', '_z', '_4', '_4g', 'A', 'a.b'):
            self.assertRaises(ValueError, names.decode_body, bad)

    def test_components_must_be_text(self):
        self.assertRaises(TypeError, names.encode_component, b'bytes')
        self.assertRaises(TypeError, names.encode_component, None)


class TestQueueNames(testtools.TestCase):

    def test_every_name_is_valid_for_zaqar_and_conservative(self):
        for key, name in _all_names():
            self.assertTrue(ZAQAR_NAME.match(name), (key, name))
            self.assertTrue(OURS.match(name), (key, name))

    def test_no_two_addresses_share_a_name(self):
        made = _all_names()
        by_name = {}
        for key, name in made:
            self.assertEqual(key, by_name.setdefault(name, key), name)
        self.assertEqual(len({key for key, _ in made}), len(by_name))

    def test_plain_names_decode_to_their_address(self):
        for (kind, *parts), name in _all_names():
            parsed = names.parse(name)
            if parsed is not None:
                self.assertEqual(('om', names.KINDS[kind], parts), parsed)

    def test_plain_names_parse_back(self):
        name = names.server_queue('om', 'trove', 'guestagent.ab-c', 'Host.1')
        self.assertEqual(('om', 's', ['trove', 'guestagent.ab-c', 'Host.1']),
                         names.parse(name))

    def test_separator_in_components_does_not_collide(self):
        self.assertNotEqual(names.topic_queue('om', 'a__b', 'c'),
                            names.topic_queue('om', 'a', 'b__c'))
        self.assertNotEqual(names.topic_queue('om', 'a_', '_b'),
                            names.topic_queue('om', 'a', '__b'))
        self.assertNotEqual(names.notification_queue('om', 'e', 't', ''),
                            names.notification_queue('om', 'e', 't'))
        self.assertNotEqual(names.notification_queue('om', 'e', 't__'),
                            names.notification_queue('om', 'e', 't', ''))

    def test_trove_topics_stay_readable_and_distinct(self):
        guests = [str(uuid.UUID(int=random.getrandbits(128)))
                  for _ in range(2000)]
        queues = {names.topic_queue('om', 'trove', 'guestagent.' + g)
                  for g in guests}
        self.assertEqual(len(guests), len(queues))
        one = names.topic_queue('om', 'trove', 'guestagent.' + guests[0])
        self.assertEqual('om-t-trove__guestagent_p' + guests[0], one)
        servers = {names.server_queue('om', 'trove', 'guestagent.' + g, g)
                   for g in guests}
        self.assertEqual(len(guests), len(servers))

    def test_long_names_are_hashed_and_marked(self):
        name = names.topic_queue('om', 'trove', 'x' * 100)
        self.assertEqual(64, len(name))
        self.assertTrue(name.startswith('om-th-trove__xxx'), name)
        self.assertIsNone(names.parse(name))
        self.assertNotEqual(name, names.topic_queue('om', 'trove',
                                                    'x' * 101))

    def test_boundary_between_plain_and_hashed(self):
        fits = names.topic_queue('om', 'e', 'x' * 56)
        self.assertEqual(64, len(fits))
        self.assertEqual(('om', 't', ['e', 'x' * 56]), names.parse(fits))
        hashed = names.topic_queue('om', 'e', 'x' * 57)
        self.assertEqual(64, len(hashed))
        self.assertIn('-th-', hashed)

    def test_names_are_stable(self):
        # Changing any of these is a wire-format change: old senders and
        # new servers would stop meeting.
        self.assertEqual('om-t-openstack__topic',
                         names.topic_queue('om', 'openstack', 'topic'))
        self.assertEqual(
            'om-sh-trove__guestagent_p0c6b2c1e-77a-'
            '4zmblhlds777cg7uftidv62zbk',
            names.server_queue('om', 'trove',
                               'guestagent.0c6b2c1e-77a2-4d0f-9b7e-'
                               '3f1a2b3c4d5e', 'guest-1'))

    def test_prefix_is_validated(self):
        for bad in ('', 'OM', 'o-m', 'x' * 17, None, 'o_m'):
            self.assertRaises(ValueError, names.topic_queue, bad, 'e', 't')
        self.assertNotEqual(names.topic_queue('a', 'e', 't'),
                            names.topic_queue('b', 'e', 't'))

    def test_kinds_never_share_names(self):
        args = ('e', 't')
        made = {names.topic_queue('om', *args),
                names.fanout_queue('om', *args),
                names.notification_queue('om', *args),
                names.reply_queue('om', 'e' * 32)}
        self.assertEqual(4, len(made))

    def test_reply_queues_take_32_hex_digits_only(self):
        name = names.reply_queue('om', 'a' * 32)
        self.assertTrue(names.is_reply_queue(name))
        for token in ('e__t', 'A' * 32, 'a' * 31, 'a' * 33, 'g' * 32):
            self.assertRaises(ValueError, names.reply_queue, 'om', token)
        for other in (names.topic_queue('om', 'e', 't'), name + '\n',
                      None, 42, ['om-r-' + 'a' * 32], 'Om' + name[2:]):
            self.assertFalse(names.is_reply_queue(other))
