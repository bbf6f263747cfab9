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


"""The plugin's client registration builds our clients."""

from tempest.lib.services import clients
import testtools

from zaqar_trove_tests import plugin
from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging


class TestClientsFactory(testtools.TestCase):

    def test_every_registered_client_builds(self):
        for module, names in plugin.SERVICE_CLIENTS.items():
            factory = clients.ClientsFactory(
                'zaqar_trove_tests.services.%s' % module, names,
                auth.no_auth('http://zaqar:8888'), service='messaging',
                region='RegionOne', endpoint_type='publicURL',
                build_interval=1, build_timeout=60)
            for name in names:
                client = getattr(factory, name)()
                self.assertIsInstance(client, messaging.base.MessagingClient)
                self.assertEqual('http://zaqar:8888', client.base_url)

    def test_registered_names_are_the_exported_ones(self):
        self.assertEqual(sorted(messaging.__all__),
                         sorted(plugin.SERVICE_CLIENTS['messaging']))

    def test_each_client_has_its_own_client_id(self):
        factory = clients.ClientsFactory(
            'zaqar_trove_tests.services.messaging', ['QueuesClient'],
            auth.no_auth('http://zaqar:8888'), service='messaging',
            region='')
        first, second = factory.QueuesClient(), factory.QueuesClient()
        self.assertNotEqual(first.client_id, second.client_id)
        self.assertEqual(first.client_id, first.get_headers()['Client-ID'])
