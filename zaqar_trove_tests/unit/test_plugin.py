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

"""The tempest plugin as tempest itself loads it."""

import importlib
import os

import fixtures
from tempest import config as tempest_config
from tempest.lib.services import clients
from tempest.test_discover import plugins
import testtools

from zaqar_trove_tests import plugin


class TestPlugin(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.plugin = plugin.ZaqarTroveTempestPlugin()

    def test_load_tests_points_at_the_tests_package(self):
        test_dir, top = self.plugin.load_tests()
        self.assertTrue(os.path.isfile(os.path.join(test_dir, '__init__.py')))
        self.assertEqual(os.path.join(top, 'zaqar_trove_tests', 'tests'),
                         test_dir)

    def test_tempest_registers_our_options_without_error(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='tempest.test_discover.plugins'))
        manager = plugins.TempestTestPluginManager()
        self.assertIn('zaqar_trove_tests',
                      [ext.name for ext in manager.ext_plugins])
        conf = tempest_config.cfg.ConfigOpts()
        manager.register_plugin_opts(conf)
        conf([], project='test')
        self.assertNotIn('raised an exception', logger.output)
        self.assertEqual('messaging-websocket',
                         conf.zaqar_trove.websocket_catalog_type)

    def test_service_clients_are_registered_and_importable(self):
        params = self.plugin.get_service_clients()
        self.assertEqual(len(plugin.SERVICE_CLIENTS), len(params))
        versions = [p['service_version'] for p in params]
        self.assertEqual(sorted(set(versions)), sorted(versions))
        for p in params:
            self.assertEqual('messaging', p['service'])
            module = importlib.import_module(p['module_path'])
            for name in p['client_names']:
                self.assertTrue(callable(getattr(module, name)), name)

    def test_service_clients_register_with_tempest(self):
        # Tempest registers plugins' clients when its CONF first loads.
        self.assertEqual('messaging',
                         tempest_config.CONF.zaqar_trove.catalog_type)
        registry = clients.ClientsRegistry()
        registered = registry.get_service_clients()
        self.assertIn('zaqar_trove_tests', registered)
