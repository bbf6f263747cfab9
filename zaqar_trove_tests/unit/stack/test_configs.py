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

"""Generated configuration: keystone.conf, zaqar.conf, tempest.conf, URLs."""

import configparser
from importlib import metadata

from keystoneauth1 import loading
import testtools

from zaqar_trove_tests import config as plugin_config
from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import paths as stack_paths

PORTS = {'redis': 20001, 'epmd': 20002, 'rabbit': 20003,
         'rabbit_dist': 20004, 'keystone': 20005, 'zaqar': 20006,
         'zaqar_ws': 20007, 'zaqar_notify': 20008}
SECRETS = {name: name.upper() for name in configs.SECRET_NAMES}


def settings():
    return {'ports': dict(PORTS), 'secrets': dict(SECRETS),
            'region': 'RegionOne'}


def parse(text):
    parser = configparser.ConfigParser(interpolation=None,
                                       default_section='(none)')
    parser.optionxform = str
    parser.read_string(text)
    return parser


def known_options(*namespaces):
    """{group: set(dest)} of oslo.config.opts entry points."""
    eps = {ep.name: ep for ep in metadata.entry_points(
        group='oslo.config.opts')}
    known = {}
    for namespace in namespaces:
        for group, opts in eps[namespace].load()():
            name = getattr(group, 'name', group) or 'DEFAULT'
            known.setdefault(name, set()).update(o.dest for o in opts)
    return known


def auth_options():
    opts = loading.get_auth_common_conf_options() + \
        loading.get_auth_plugin_conf_options('password')
    return {o.dest for o in opts}


class TestURLs(testtools.TestCase):

    def test_zaqar_transport_url_is_exactly_the_agreed_format(self):
        self.assertEqual(
            'zaqar://rpc:RPC_PASSWORD@127.0.0.1:20006/?'
            'auth_url=http://127.0.0.1:20005/v3&project_name=rpc&'
            'user_domain_name=Default&project_domain_name=Default&'
            'websocket_url=ws://127.0.0.1:20007',
            configs.zaqar_transport_url(settings()))

    def test_rabbit_transport_url(self):
        self.assertEqual('rabbit://ztt:RABBIT_PASSWORD@127.0.0.1:20003/',
                         configs.rabbit_transport_url(settings()))

    def test_credentials_are_quoted(self):
        s = settings()
        s['secrets']['rpc_password'] = 'a@b:c/d'
        self.assertIn('zaqar://rpc:a%40b%3Ac%2Fd@127.0.0.1:20006/',
                      configs.zaqar_transport_url(s))

    def test_new_secrets_are_random_and_complete(self):
        one, two = configs.new_secrets(), configs.new_secrets()
        self.assertEqual(set(configs.SECRET_NAMES), set(one))
        self.assertTrue(all(one[k] != two[k] for k in one))
        self.assertTrue(all(len(v) == 32 for v in one.values()))

    def test_catalog(self):
        self.assertEqual(
            [('identity', 'keystone', 'http://127.0.0.1:20005/v3'),
             ('messaging', 'zaqar', 'http://127.0.0.1:20006'),
             ('messaging-websocket', 'zaqar-websocket',
              'ws://127.0.0.1:20007')],
            configs.catalog(settings()))


class _Files(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.paths = stack_paths.Paths('/srv/state')
        self.files = configs.files(self.paths, settings())


class TestEverywhere(_Files):

    def test_nothing_points_at_etc(self):
        for path, text in self.files.items():
            self.assertTrue(path.startswith('/srv/state/'), path)
            self.assertNotIn('/etc/', text.replace('/srv/state/etc/', ''),
                             path)

    def test_only_loopback(self):
        for path, text in self.files.items():
            self.assertNotIn('0.0.0.0', text, path)
            self.assertNotIn('localhost:', text, path)


class TestKeystoneConf(_Files):

    def setUp(self):
        super().setUp()
        self.conf = parse(self.files[self.paths.keystone_conf])

    def test_sqlite_cache_fernet(self):
        self.assertEqual('sqlite:////srv/state/data/keystone/keystone.db',
                         self.conf['database']['connection'])
        self.assertEqual('true', self.conf['cache']['enabled'])
        self.assertEqual('dogpile.cache.memory', self.conf['cache']['backend'])
        self.assertEqual('fernet', self.conf['token']['provider'])
        self.assertEqual('4', self.conf['identity']['password_hash_rounds'])

    def test_every_option_exists(self):
        known = known_options('keystone', 'oslo.log', 'oslo.policy',
                              'oslo.db', 'oslo.cache')
        for section in self.conf.sections():
            for key in self.conf[section]:
                self.assertIn(key, known.get(section, ()),
                              '[%s] %s' % (section, key))

    def test_no_etc_default_survives(self):
        eps = {ep.name: ep for ep in metadata.entry_points(
            group='oslo.config.opts')}
        for group, opts in eps['keystone'].load()():
            for opt in opts:
                if str(opt.default).startswith('/etc'):
                    self.assertTrue(
                        self.conf.has_option(group, opt.dest),
                        '[%s] %s keeps %s' % (group, opt.dest, opt.default))

    def test_policy_paths_are_absolute_and_ours(self):
        policy = self.conf['oslo_policy']
        self.assertEqual('/srv/state/etc/keystone-policy.yaml',
                         policy['policy_file'])
        self.assertEqual('/srv/state/etc/keystone-policy.d',
                         policy['policy_dirs'])


class TestZaqarConf(_Files):

    def setUp(self):
        super().setUp()
        self.conf = parse(self.files[self.paths.zaqar_conf])

    def test_every_option_exists(self):
        known = known_options('zaqar', 'oslo.log', 'oslo.policy')
        known['keystone_authtoken'] = known_options(
            'keystonemiddleware.auth_token')['keystone_authtoken'] | \
            auth_options()
        known['trustee'] = auth_options()
        for section in self.conf.sections():
            for key in self.conf[section]:
                self.assertIn(key, known.get(section, ()),
                              '[%s] %s' % (section, key))

    def test_stores_and_auth(self):
        c = self.conf
        self.assertEqual('redis', c['drivers']['message_store'])
        self.assertEqual('sqlalchemy', c['drivers']['management_store'])
        self.assertEqual('redis://127.0.0.1:20001',
                         c['drivers:message_store:redis']['uri'])
        self.assertEqual(
            'sqlite:////srv/state/data/zaqar/zaqar.db',
            c['drivers:management_store:sqlalchemy']['uri'])
        self.assertEqual('keystone', c['DEFAULT']['auth_strategy'])
        self.assertEqual('zaqar', c['keystone_authtoken']['username'])
        self.assertEqual('ZAQAR_PASSWORD',
                         c['keystone_authtoken']['password'])
        self.assertEqual('service', c['keystone_authtoken']['project_name'])
        self.assertEqual('SIGNED_URL_KEY', c['signed_url']['secret_key'])
        self.assertEqual('zaqar.notification.notifier',
                         c['storage']['message_pipeline'])

    def test_websocket_and_notification_bind_loopback(self):
        ws = self.conf['drivers:transport:websocket']
        self.assertEqual({'bind': '127.0.0.1', 'port': '20007',
                          'notification_bind': '127.0.0.1',
                          'notification_port': '20008'}, dict(ws))

    def test_websocket_server_overrides_only_the_transport(self):
        ws = parse(self.files[self.paths.zaqar_ws_conf])
        self.assertEqual(['drivers'], ws.sections())
        self.assertEqual({'transport': 'websocket'}, dict(ws['drivers']))

    def test_limits_come_from_limits(self):
        self.assertEqual({k: str(v) for k, v in configs.LIMITS.items()},
                         dict(self.conf['transport']))


class TestRabbitAndRedis(_Files):

    def test_redis(self):
        text = self.files[self.paths.redis_conf]
        self.assertIn('\nbind 127.0.0.1\n', text)
        self.assertIn('\nport 20001\n', text)
        self.assertIn('\ndir /srv/state/data/redis\n', text)
        self.assertIn('\nappendonly yes\n', text)

    def test_rabbit_env_keeps_to_the_state_dir(self):
        env = configs.rabbit_env(self.paths, settings())
        self.assertEqual('20003', env['RABBITMQ_NODE_PORT'])
        self.assertEqual('127.0.0.1', env['RABBITMQ_NODE_IP_ADDRESS'])
        self.assertEqual('20002', env['ERL_EPMD_PORT'])
        self.assertIn('-start_epmd false',
                      env['RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS'])
        for key, value in env.items():
            if value.startswith('/'):
                self.assertTrue(value.startswith('/srv/state/'), key)

    def test_rabbit_user(self):
        text = self.files['/srv/state/etc/rabbitmq/rabbitmq.conf']
        self.assertIn('default_user = ztt\n', text)
        self.assertIn('default_pass = RABBIT_PASSWORD\n', text)


class TestTempestConf(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.paths = stack_paths.Paths('/srv/state')
        self.conf = parse(configs.render_ini(
            configs.tempest_sections(self.paths, settings())))

    def test_auth_and_identity(self):
        auth, identity = self.conf['auth'], self.conf['identity']
        self.assertEqual('true', auth['use_dynamic_credentials'])
        self.assertEqual('false', auth['create_isolated_networks'])
        self.assertEqual('admin', auth['admin_username'])
        self.assertEqual('ADMIN_PASSWORD', auth['admin_password'])
        self.assertEqual('admin', auth['admin_project_name'])
        self.assertEqual('http://127.0.0.1:20005/v3', identity['uri_v3'])
        self.assertEqual('v3', identity['auth_version'])
        self.assertEqual('RegionOne', identity['region'])
        self.assertEqual('false',
                         self.conf['identity-feature-enabled']['api_v2'])

    def test_only_zaqar_is_available(self):
        available = self.conf['service_available']
        self.assertEqual('true', available['zaqar'])
        self.assertEqual({'false'}, {v for k, v in available.items()
                                     if k != 'zaqar'})
        self.assertIn('trove', available)

    def test_zaqar_trove_group(self):
        group = self.conf['zaqar_trove']
        s = settings()
        self.assertEqual(configs.zaqar_transport_url(s),
                         group['zaqar_transport_url'])
        self.assertEqual(configs.rabbit_transport_url(s),
                         group['rabbit_transport_url'])
        self.assertEqual('/srv/state', group['stack_state_dir'])
        self.assertEqual(str(configs.LIMITS['max_messages_post_size']),
                         group['max_messages_post_size'])
        self.assertEqual(str(configs.LIMITS['max_messages_per_page']),
                         group['max_messages_per_page'])

    def test_plugin_groups_use_only_declared_options(self):
        declared = {group.name: {o.dest for o in opts}
                    for group, opts in plugin_config.OPT_GROUPS}
        for section in ('zaqar_trove', 'zaqar_trove_feature_enabled'):
            self.assertLessEqual(set(self.conf[section]), declared[section])
        self.assertEqual({'true'}, set(
            self.conf['zaqar_trove_feature_enabled'].values()))

    def test_workspace_paths(self):
        self.assertEqual('/srv/state/tempest/tempest_lock',
                         self.conf['oslo_concurrency']['lock_path'])
        self.assertEqual('/srv/state/tempest/logs',
                         self.conf['DEFAULT']['log_dir'])
        self.assertEqual('/srv/state/tempest/etc/tempest.conf',
                         self.paths.tempest_conf)


def two_websockets():
    s = settings()
    s['zaqar_websockets'] = 2
    s['ports'].update(zaqar_ws_2=20009, zaqar_notify_2=20010)
    return s


class _AtSrvState(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.paths = stack_paths.Paths('/srv/state')


class TestWebsocketServers(_AtSrvState):

    def test_one_server_without_the_setting(self):
        self.assertEqual(1, configs.ws_count(settings()))
        self.assertEqual(['zaqar-websocket'],
                         configs.ws_services(settings()))
        self.assertEqual(configs.PORT_NAMES, configs.port_names(1))

    def test_each_more_server_gets_two_ports_and_a_name(self):
        self.assertEqual(configs.PORT_NAMES + (
            'zaqar_ws_2', 'zaqar_notify_2', 'zaqar_ws_3', 'zaqar_notify_3'),
            configs.port_names(3))
        self.assertEqual(['zaqar-websocket', 'zaqar-websocket-2'],
                         configs.ws_services(two_websockets()))

    def test_transport_url_lists_every_websocket_server(self):
        url = configs.zaqar_transport_url(two_websockets())
        self.assertTrue(url.endswith(
            '&websocket_url=ws://127.0.0.1:20007,ws://127.0.0.1:20009'),
            url)
        tempest = parse(configs.render_ini(configs.tempest_sections(
            self.paths, two_websockets())))
        self.assertEqual(url, tempest['zaqar_trove']['zaqar_transport_url'])

    def test_the_driver_reads_both_urls(self):
        from oslo_config import cfg
        import oslo_messaging as om

        from zaqar_trove_tests.rpc import options
        from zaqar_trove_tests.rpc import settings as rpc_settings
        conf = cfg.ConfigOpts()
        conf([])
        conf.register_opts(options.all_opts(), group=options.GROUP)
        url = om.TransportURL.parse(
            conf, configs.zaqar_transport_url(two_websockets()))
        self.assertEqual(['ws://127.0.0.1:20007', 'ws://127.0.0.1:20009'],
                         rpc_settings.from_url(conf, url).websocket_url)

    def test_each_server_has_its_own_conf_file(self):
        files = configs.files(self.paths, two_websockets())
        first = parse(files['/srv/state/etc/zaqar-websocket.conf'])
        self.assertEqual(['drivers'], first.sections())
        second = parse(files['/srv/state/etc/zaqar-websocket-2.conf'])
        self.assertEqual({'transport': 'websocket'},
                         dict(second['drivers']))
        self.assertEqual({'port': '20009', 'notification_port': '20010'},
                         dict(second['drivers:transport:websocket']))

    def test_the_catalog_names_the_first(self):
        self.assertEqual(
            ('messaging-websocket', 'zaqar-websocket',
             'ws://127.0.0.1:20007'), configs.catalog(two_websockets())[-1])


def two_pools():
    s = settings()
    s['zaqar_pools'] = 2
    s['ports']['redis-2'] = 20011
    return s


class TestPools(_AtSrvState):

    def test_no_pooling_by_default(self):
        self.assertEqual([], configs.pools(settings()))
        self.assertEqual(['redis'], configs.redis_services(settings()))
        conf = parse(configs.files(self.paths, settings())[
            self.paths.zaqar_conf])
        self.assertEqual('false', conf['DEFAULT']['pooling'])

    def test_a_pool_per_redis_server(self):
        self.assertEqual(configs.PORT_NAMES + ('redis-2',),
                         configs.port_names(1, 2))
        self.assertEqual([('pool-1', 'redis://127.0.0.1:20001'),
                          ('pool-2', 'redis://127.0.0.1:20011')],
                         configs.pools(two_pools()))

    def test_pooling_on_and_each_redis_its_own_port_and_dir(self):
        files = configs.files(self.paths, two_pools())
        conf = parse(files[self.paths.zaqar_conf])
        self.assertEqual('true', conf['DEFAULT']['pooling'])
        second = files['/srv/state/etc/redis-2.conf']
        self.assertIn('\nport 20011\n', second)
        self.assertIn('\ndir /srv/state/data/redis-2\n', second)
        self.assertIn('\nport 20001\n', files[self.paths.redis_conf])
