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

"""devstack/tools/gate_helper.py: URLs, hosts, guest cloud-config."""

import fixtures
import yaml

from zaqar_trove_tests.unit.gate import base

helper = base.load_gate_helper()
TROVE_CLOUDINIT = """#cloud-config
manage_etc_hosts: "localhost"
write_files:
  - path: /etc/trove/controller.conf
    content: |
      CONTROLLER=10.0.0.5
"""
WHEELS = 'http://10.0.0.5/zaqar-trove-wheels/'
CONTROLLER_ARGS = dict(wheel_url=WHEELS)


class TestTransportUrl(base.GateTestCase):

    def test_the_driver_reads_back_every_part(self):
        self.require_driver()
        url = helper.transport_url(
            'trove-guest', 'p@ss:w/rd?&=', 'ctl.local', 80,
            'http://ctl.local/identity', 'trove-rpc', path='/messaging/',
            websocket_url='ws://ctl.local:9000')
        settings = base.parse_transport_url(url)
        self.assertEqual(('trove-guest', 'p@ss:w/rd?&='),
                         (settings.username, settings.password))
        self.assertEqual(([('ctl.local', 80)], '/messaging', 'http'),
                         (settings.hosts, settings.base_path,
                          settings.scheme))
        self.assertEqual(('http://ctl.local/identity', 'trove-rpc',
                          'Default', 'Default'),
                         (settings.auth_url, settings.project_name,
                          settings.user_domain_name,
                          settings.project_domain_name))
        self.assertEqual(['ws://ctl.local:9000'], settings.websocket_url)
        self.assertEqual('push', settings.delivery)

    def test_without_websocket_and_path_the_driver_polls_the_root(self):
        self.require_driver()
        settings = base.parse_transport_url(helper.transport_url(
            'u', 'p', 'h', 8888, 'http://h/identity', 'p'))
        self.assertEqual(('', 'poll'), (settings.base_path,
                                        settings.delivery))

    def test_tls_uses_the_https_scheme(self):
        self.assertTrue(helper.transport_url(
            'u', 'p', 'h', 443, 'https://h/identity', 'p',
            tls=True).startswith('zaqar+https://u:p@h:443/'))

    def test_tls_with_a_ca_bundle_the_driver_trusts(self):
        self.require_driver()
        settings = base.parse_transport_url(helper.transport_url(
            'u', 'p', 'h', 443, 'https://h/identity', 'p', path='messaging',
            tls=True, cafile='/opt/stack/data/ca-bundle.pem'))
        self.assertEqual(('https', [('h', 443)], '/messaging'), (
            settings.scheme, settings.hosts, settings.base_path))
        self.assertEqual('/opt/stack/data/ca-bundle.pem', settings.cafile)


class TestUrlHost(base.GateTestCase):

    def test_hosts(self):
        for url, host in (
                ('rabbit://stackrabbit:secret@ctl.local:5672/', 'ctl.local'),
                ('rabbit://10.0.0.5:5672/', '10.0.0.5'),
                ('rabbit://u:p@h1:5672,u:p@h2:5672/', 'h1'),
                ('rabbit://u:p@[fd00::5]:5672/', 'fd00::5')):
            self.assertEqual(host, helper.url_host(url))


class TestGuestCloudConfig(base.GateTestCase):

    def _script(self, mode='controller', **kwargs):
        args = dict(CONTROLLER_ARGS) if mode == 'controller' else {
            'constraints': '/opt/upper-constraints.txt'}
        args.update(kwargs)
        return helper.guest_install_script(
            mode, '/opt/guest-agent-venv', ['websocket-client'], **args)

    def test_scripts_are_valid_bash(self):
        for script in (self._script(), self._script('pip', pip_spec='x')):
            path = self.useFixture(fixtures.TempDir()).join('s.sh')
            with open(path, 'w') as f:
                f.write(script)
            result = base.run(['bash', '-n', path])
            self.assertEqual(0, result.returncode, result.stderr)

    def test_controller_script_installs_offline(self):
        script = self._script()
        offline = ('/opt/guest-agent-venv/bin/pip install --no-index '
                   '--find-links %s --retries 10' % WHEELS)
        self.assertEqual(['set -eu',
                          offline + ' websocket-client',
                          offline + ' --no-deps zaqar-trove-tests'],
                         script.splitlines())

    def test_pip_script_uses_the_guest_index(self):
        script = self._script('pip', pip_spec='zaqar-trove-tests==1.0')
        self.assertIn('/opt/guest-agent-venv/bin/pip install -c '
                      '/opt/upper-constraints.txt websocket-client', script)
        self.assertIn('install --no-deps zaqar-trove-tests==1.0', script)
        self.assertNotIn('--no-index', script)

    def test_unknown_mode_is_refused(self):
        self.assertRaises(ValueError, self._script, 'scp')

    def test_merge_keeps_trove_keys_and_adds_one_bootcmd(self):
        once = helper.merge_cloudinit(TROVE_CLOUDINIT, self._script())
        twice = helper.merge_cloudinit(once, self._script('pip',
                                                          pip_spec='x'))
        self.assertTrue(twice.startswith('#cloud-config\n'))
        data = yaml.safe_load(twice)
        self.assertEqual('localhost', data['manage_etc_hosts'])
        self.assertEqual('/etc/trove/controller.conf',
                         data['write_files'][0]['path'])
        self.assertEqual(1, len(data['bootcmd']))
        self.assertEqual(['cloud-init-per', 'instance', helper.BOOTCMD_NAME,
                          '/bin/bash', '-c'], data['bootcmd'][0][:5])
        self.assertIn('install --no-deps x', data['bootcmd'][0][5])

    def test_merge_keeps_other_bootcmds(self):
        text = TROVE_CLOUDINIT + 'bootcmd:\n  - [echo, hello]\n'
        data = yaml.safe_load(helper.merge_cloudinit(text, 'true\n'))
        self.assertEqual(['echo', 'hello'], data['bootcmd'][0])
        self.assertEqual(2, len(data['bootcmd']))

    def test_merge_refuses_a_non_mapping(self):
        self.assertRaises(ValueError, helper.merge_cloudinit,
                          '#cloud-config\n- a\n', 'true\n')

    def test_cli_needs_the_wheel_url(self):
        path = self.useFixture(fixtures.TempDir()).join('ds.cloudinit')
        with open(path, 'w') as f:
            f.write(TROVE_CLOUDINIT)
        self.assertRaises(SystemExit, helper.main,
                          ['cloudinit', path, '--mode', 'controller'])
