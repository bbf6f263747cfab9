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


"""TRV-3's pure helpers: finding a guest's queues among a project's."""

import testtools

from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.tests.scenario import test_trove_instance as trv3

GUEST = '3256a907-9653-49f6-ab69-77657dff890e'
OTHER = '3256a907-9653-49f6-ab69-000000000000'


def _topic(instance_id, prefix='om'):
    return names.topic_queue(prefix, 'trove', 'guestagent.%s' % instance_id)


def _server(instance_id, host, prefix='om'):
    return names.server_queue(prefix, 'trove', 'guestagent.%s' % instance_id,
                              host)


class TestGuestQueues(testtools.TestCase):

    def test_topic_and_hashed_server_queue(self):
        server = _server(GUEST, 'mysql-guest-host')
        self.assertIn('-sh-', server)
        listed = ['om-r-' + '0' * 32, _topic(GUEST), server, _topic(OTHER)]
        self.assertEqual((_topic(GUEST), [server]),
                         trv3.guest_queues(listed, 'om', GUEST))

    def test_plain_server_queue(self):
        server = _server(GUEST, 'h', prefix='o')
        self.assertNotIn('-sh-', server)
        self.assertEqual((None, [server]),
                         trv3.guest_queues([server], 'o', GUEST))

    def test_another_guest_or_prefix_is_not_ours(self):
        listed = [_topic(OTHER), _server(OTHER, 'h'),
                  _server('ffffffff-9653-49f6-ab69-77657dff890e', 'host-1'),
                  _topic(GUEST, prefix='xx'), _server(GUEST, 'h', 'xx'),
                  'om-t-bad_zz', 'not-a-driver-queue']
        self.assertEqual((None, []), trv3.guest_queues(listed, 'om', GUEST))

    def test_the_driver_default_prefix(self):
        self.assertEqual('om', trv3._default_prefix())
