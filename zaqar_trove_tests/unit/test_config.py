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

"""Option registration: ours alone, beside the other plugins, and sampled."""

from oslo_config import cfg
import stevedore
import testtools

from zaqar_trove_tests import config
from zaqar_trove_tests import opts

OTHER_PLUGINS = ('zaqar_tests', 'trove_tests')


def _tempest_plugins():
    manager = stevedore.ExtensionManager(
        'tempest.test_plugins', invoke_on_load=True,
        propagate_map_exceptions=True)
    return {ext.name: ext.obj for ext in manager}


class TestOptGroups(testtools.TestCase):

    def test_every_group_is_registered_with_every_option(self):
        conf = cfg.ConfigOpts()
        config.register_opts(conf)
        conf([], project='test')
        for group, group_opts in config.OPT_GROUPS:
            for opt in group_opts:
                self.assertEqual(opt.default,
                                 conf[group.name][opt.dest])

    def test_registering_twice_is_harmless(self):
        conf = cfg.ConfigOpts()
        config.register_opts(conf)
        config.register_opts(conf)
        conf([], project='test')
        self.assertTrue(conf.zaqar_trove_feature_enabled.websocket)

    def test_a_foreign_definition_of_a_shared_flag_is_kept(self):
        conf = cfg.ConfigOpts()
        foreign = cfg.BoolOpt('trove', default=True, help='theirs')
        conf.register_opt(foreign, group='service_available')
        config.register_opts(conf)
        conf([], project='test')
        self.assertTrue(conf.service_available.trove)
        self.assertEqual('', conf.zaqar_trove.zaqar_transport_url)

    def test_list_opts_is_derived_from_the_one_list(self):
        listed = dict(opts.list_opts())
        self.assertEqual(
            {group.name: group_opts
             for group, group_opts in config.OPT_GROUPS}, listed)

    def test_option_names_are_unique_per_group(self):
        for group, group_opts in config.OPT_GROUPS:
            names = [opt.name for opt in group_opts]
            self.assertEqual(sorted(set(names)), sorted(names), group.name)


class TestBesideOtherPlugins(testtools.TestCase):
    """zaqar-tempest-plugin and trove-tempest-plugin share flags with us."""

    def setUp(self):
        super().setUp()
        self.plugins = _tempest_plugins()
        missing = set(OTHER_PLUGINS + ('zaqar_trove_tests',)) - set(
            self.plugins)
        # tox -e py3 installs both: their absence is a broken environment.
        self.assertEqual(set(), missing, 'tempest plugins not installed')

    def _check_registration(self, order):
        conf = cfg.ConfigOpts()
        for name in order:
            self.plugins[name].register_opts(conf)
        conf([], project='test')
        self.assertTrue(conf.service_available.zaqar)
        self.assertIn('trove', conf.service_available)
        self.assertEqual('messaging', conf.zaqar_trove.catalog_type)
        self.assertTrue(conf.zaqar_trove_feature_enabled.signed_urls)

    def test_shared_flags_are_the_owners_own_opts(self):
        from trove_tempest_plugin import config as trove_config
        from zaqar_tempest_plugin import config as zaqar_config
        self.assertEqual(
            [zaqar_config.service_option, trove_config.service_option],
            config.SERVICE_AVAILABLE_OPTS)

    def test_ours_first(self):
        self._check_registration(('zaqar_trove_tests',) + OTHER_PLUGINS)

    def test_ours_last(self):
        self._check_registration(OTHER_PLUGINS + ('zaqar_trove_tests',))
