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

"""The tempest plugin: where the tests are, their options, their clients."""

import os

from tempest import config as tempest_config
from tempest.test_discover import plugins

from zaqar_trove_tests import config

#: Modules of services/ and the client classes each registers.
SERVICE_CLIENTS = {
    'messaging': ['QueuesClient', 'MessagesClient', 'ClaimsClient',
                  'SharesClient', 'SubscriptionsClient', 'HealthClient'],
}


class ZaqarTroveTempestPlugin(plugins.TempestPlugin):

    def load_tests(self):
        base_path = os.path.split(os.path.dirname(
            os.path.abspath(__file__)))[0]
        test_dir = os.path.join('zaqar_trove_tests', 'tests')
        return os.path.join(base_path, test_dir), base_path

    def register_opts(self, conf):
        config.register_opts(conf)

    def get_opt_lists(self):
        return config.opt_lists()

    def get_service_clients(self):
        params = tempest_config.service_client_config(
            config.zaqar_trove_group.name)
        return [dict(params,
                     name='zaqar_trove_%s' % module,
                     service_version='zaqar_trove.%s' % module,
                     module_path='zaqar_trove_tests.services.%s' % module,
                     client_names=names)
                for module, names in SERVICE_CLIENTS.items()]
