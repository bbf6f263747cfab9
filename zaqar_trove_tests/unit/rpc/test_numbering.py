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

"""The driver numbers its requests per queue (``sq``, ``_numbered``).

The servers of a topic learn from gaps in a sender's stream that other
servers take from it (``fairness``). The driver is loaded
through the public ``get_rpc_transport``; nothing is posted.
"""

import fixtures
from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.rpc import envelope


class TestNumbering(testtools.TestCase):

    def setUp(self):
        super().setUp()
        conf = cfg.ConfigOpts()
        conf([])
        transport = om.get_rpc_transport(
            conf, url='zaqar://127.0.0.1:1/?auth=noauth&project_id=p')
        self.addCleanup(transport.cleanup)
        self.driver = transport._driver

    def numbers(self, *queues):
        return [self.driver._numbered(q, envelope.cast({}, {}))['sq']
                for q in queues]

    def test_one_stream_numbered_per_queue_from_one(self):
        got = self.numbers('a', 'a', 'b', 'a', 'b')
        self.assertEqual(1, len({stream for stream, _ in got}))
        self.assertEqual([1, 2, 1, 3, 2], [n for _, n in got])

    def test_numbers_survive_the_schema(self):
        body = self.driver._numbered('a', envelope.cast({}, {}))
        self.assertEqual(body['sq'], envelope.decode(body)['sq'])

    def test_past_max_streams_a_new_stream_starts(self):
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar_trove_tests.rpc.driver.MAX_STREAMS', 2))
        first = self.numbers('a', 'b')
        again = self.numbers('a', 'c')      # a: known; c: one too many
        self.assertEqual([first[0][0], 2], again[0])
        self.assertEqual(1, again[1][1])
        self.assertNotEqual(first[0][0], again[1][0])
