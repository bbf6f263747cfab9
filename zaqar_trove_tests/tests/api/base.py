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


"""Base class of the API tests: Zaqar clients for each identity."""

from tempest import config
from tempest import test

from zaqar_trove_tests.common import clients

CONF = config.CONF


class MessagingTest(test.BaseTestCase):
    """Zaqar v2 as the primary project sees it.

    ``cls.primary`` is the ``common.clients.ZaqarClients`` of a project
    created for the class.
    """

    credentials = ['primary']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.zaqar:
            raise cls.skipException('Zaqar is not available')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.primary = cls.zaqar_clients(cls.os_primary)

    @classmethod
    def zaqar_clients(cls, manager):
        websocket_url = None
        if CONF.zaqar_trove_feature_enabled.websocket:
            websocket_url = manager.auth_provider.base_url(filters={
                'service': CONF.zaqar_trove.websocket_catalog_type,
                'endpoint_type': CONF.zaqar_trove.endpoint_type,
                'region': CONF.zaqar_trove.region or CONF.identity.region})
        return clients.ZaqarClients(manager, websocket_url)


class TwoProjectsTest(MessagingTest):
    """Adds ``cls.alt``: the clients of a second project, the intruder."""

    credentials = ['primary', 'alt']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.alt = cls.zaqar_clients(cls.os_alt)
