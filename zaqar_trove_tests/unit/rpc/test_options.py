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

"""Options, entry points and loading through oslo.messaging's public API."""

from importlib import metadata
import os

import fixtures
from oslo_config import cfg
from oslo_config import generator
import oslo_messaging as om
import testtools

from zaqar_trove_tests.rpc import driver
from zaqar_trove_tests.rpc import options

NOAUTH = 'zaqar://127.0.0.1:9/?auth=noauth&project_id=p'


def _entry_point(group, name):
    found = [ep for ep in metadata.entry_points(group=group)
             if ep.name == name]
    assert len(found) == 1, (group, name, found)
    return found[0].load()


class TestListOpts(testtools.TestCase):

    def test_one_group_with_the_documented_options(self):
        [(group, opts)] = options.list_opts()
        self.assertEqual('oslo_messaging_zaqar', group.name)
        by_name = {opt.dest: opt for opt in opts}
        self.assertEqual(262144, by_name['max_message_size'].default)
        self.assertEqual('keystone', by_name['auth_mode'].default)
        for name in ('auth_url', 'username', 'password', 'project_name',
                     'user_domain_name', 'project_domain_name', 'cafile',
                     'insecure', 'token', 'signed_urls_file',
                     'websocket_url', 'delivery', 'queue_prefix'):
            self.assertIn(name, by_name)
        self.assertTrue(by_name['password'].secret)
        self.assertTrue(by_name['token'].secret)
        self.assertTrue(all(opt.help for opt in opts))

    def test_list_opts_returns_copies(self):
        [(_, opts)] = options.list_opts()
        opts[0].default = 'changed'
        [(_, again)] = options.list_opts()
        self.assertNotEqual('changed', again[0].default)

    def test_registration_is_idempotent(self):
        conf = cfg.ConfigOpts()
        options.register_opts(conf)
        options.register_opts(conf)
        conf([])
        self.assertEqual(262144, conf.oslo_messaging_zaqar.max_message_size)

    def test_sample_config_generation(self):
        out = os.path.join(self.useFixture(fixtures.TempDir()).path,
                           'sample.conf')
        conf = cfg.ConfigOpts()
        generator.register_cli_opts(conf)
        conf(['--namespace', 'zaqar_trove_tests.rpc', '--output-file', out])
        generator.generate(conf)
        with open(out) as f:
            sample = f.read()
        self.assertIn('[oslo_messaging_zaqar]', sample)
        self.assertIn('#max_message_size = 262144', sample)


class TestEntryPoints(testtools.TestCase):

    def test_options_entry_point(self):
        self.assertIs(options.list_opts, _entry_point(
            'oslo.config.opts', 'zaqar_trove_tests.rpc'))

    def test_driver_entry_point(self):
        self.assertIs(driver.ZaqarDriver, _entry_point(
            'oslo.messaging.drivers', 'zaqar'))


class TestPublicApi(testtools.TestCase):

    def _check(self, conf, get):
        transport = get(conf, url=NOAUTH)
        self.addCleanup(transport.cleanup)
        self.assertIsInstance(transport._driver, driver.ZaqarDriver)
        return transport

    def test_rpc_transport_on_the_global_conf(self):
        self._check(cfg.CONF, om.get_rpc_transport)
        self.assertEqual(262144,
                         cfg.CONF.oslo_messaging_zaqar.max_message_size)

    def test_notification_transport(self):
        self._check(cfg.CONF, om.get_notification_transport)

    def test_tls_scheme_loads_the_same_driver(self):
        transport = om.get_rpc_transport(
            cfg.CONF, url=NOAUTH.replace('zaqar:', 'zaqar+https:'))
        self.addCleanup(transport.cleanup)
        self.assertEqual('https', transport._driver.settings.scheme)

    def test_private_conf_gets_the_global_only_groups(self):
        conf = cfg.ConfigOpts()
        conf([])
        self._check(conf, om.get_rpc_transport)
        self.assertFalse(conf.oslo_messaging_metrics.metrics_enabled)
        self.assertFalse(conf.oslo_messaging_tracing.tracing_enabled)

    def test_bad_url_is_refused_at_load(self):
        self.assertRaises(om.InvalidTransportURL, om.get_rpc_transport,
                          cfg.CONF, url='zaqar://127.0.0.1:9/?auth=noauth')
