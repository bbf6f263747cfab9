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

"""Free-port selection."""

import os
import random
import socket
import time

import fixtures
import testtools

from zaqar_trove_tests.stack import ports


class TestPorts(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.registry = self.useFixture(fixtures.TempDir()).path + '/held'
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar_trove_tests.stack.ports.REGISTRY', self.registry))

    def test_distinct_free_ports_below_the_ephemeral_range(self):
        chosen = ports.choose(['a', 'b', 'c', 'd'])
        self.assertEqual(['a', 'b', 'c', 'd'], list(chosen))
        self.assertEqual(4, len(set(chosen.values())))
        low, high = ports.candidate_range()
        for port in chosen.values():
            self.assertTrue(low <= port <= high)
            self.assertTrue(ports.is_free(port))
        self.assertLess(high, ports.ephemeral_range()[0])

    def test_a_bound_port_is_not_free_and_not_chosen(self):
        sock = socket.socket()
        self.addCleanup(sock.close)
        sock.bind(('127.0.0.1', 0))
        sock.listen()
        port = sock.getsockname()[1]
        self.assertFalse(ports.is_free(port))
        self.assertRaises(RuntimeError, ports.choose, ['x'], low=port,
                          high=port, attempts=3)

    def test_no_port_twice_even_when_the_generator_repeats(self):
        rng = random.Random(7)
        chosen = ports.choose(['a', 'b'], rng=rng, low=21000, high=21001)
        self.assertEqual({21000, 21001}, set(chosen.values()))

    def test_range_file(self):
        tmp = self.useFixture(fixtures.TempDir()).path + '/range'
        with open(tmp, 'w') as f:
            f.write('40000\t60999\n')
        self.assertEqual((40000, 60999), ports.ephemeral_range(tmp))
        self.assertEqual((20000, 39999), ports.candidate_range(tmp))
        with open(tmp, 'w') as f:
            f.write('20500 60999\n')
        self.assertEqual((1024, 65535), ports.candidate_range(tmp))
        self.assertEqual((32768, 60999), ports.ephemeral_range(tmp + 'x'))

    def test_a_port_handed_out_is_held_from_the_next_choice(self):
        # Two stacks starting at once: neither has bound its ports yet.
        first = ports.choose(['a'], low=21000, high=21001)['a']
        second = ports.choose(['a'], low=21000, high=21001)['a']
        self.assertEqual({21000, 21001}, {first, second})
        self.assertRaises(RuntimeError, ports.choose, ['a'], low=21000,
                          high=21001, attempts=20)

    def test_a_hold_ends(self):
        ports.choose(['a'], low=21000, high=21000)
        later = time.time() + ports.HOLD + 1
        self.useFixture(fixtures.MonkeyPatch('time.time', lambda: later))
        self.assertEqual({'a': 21000},
                         ports.choose(['a'], low=21000, high=21000))

    def test_a_damaged_or_unusable_record_holds_nothing(self):
        for text in ('not json', '[1, 2]', '{"x": 1e12}',
                     '{"21000": "z"}'):
            with open(self.registry, 'w') as f:
                f.write(text)
            self.assertEqual({'a': 21000}, ports.choose(
                ['a'], low=21000, high=21000), text)
            os.unlink(self.registry)
        self.assertEqual({'a': 21000}, ports.choose(
            ['a'], low=21000, high=21000,
            registry=self.registry + '/not-a-dir/held'))
