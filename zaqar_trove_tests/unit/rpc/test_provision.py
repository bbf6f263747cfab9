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

"""rpc/provision.py: per-guest grants and the configuration rendered.

What a guest's rendered config holds is read back the way the guest reads
it: oslo.config for the file, the driver's own parser for the URL.
"""

import datetime
import json
import os
import stat

import fixtures
import oslo_messaging as om

from zaqar_trove_tests.rpc import provision
from zaqar_trove_tests.unit.rpc import test_settings

CONTROL = test_settings.STACK_URL + '&cafile=/etc/ca.pem&delivery=push'
A = '3256a907-9653-49f6-ab69-77657dff890e'
B = '3758ede3-080a-489a-89aa-118d43ecf665'


class FakeDriver:
    """Records ``share_server_queues``; one grant per queue it names."""

    def __init__(self):
        self.shared = []

    def share_server_queues(self, target, expires, send_topics=()):
        self.shared.append((target, expires, list(send_topics)))
        return [{'paths': ['/v2/queues/%s/messages' % target.server],
                 'expires': expires, 'signature': 'sig-' + target.server}]


class FakeTransport:

    def __init__(self):
        self._driver = FakeDriver()
        self.cleaned = False

    def cleanup(self):
        self.cleaned = True


class TestRender(test_settings.SettingsTestCase):

    def test_guest_url_holds_only_its_grants_file(self):
        url = provision.guest_url(CONTROL, '/etc/trove/conf.d/g.json')
        self.assertNotIn(test_settings.QUOTED, url)
        got = self.parse(url)
        self.assertEqual(('signed', '/etc/trove/conf.d/g.json'),
                         (got.auth_mode, got.signed_urls_file))
        self.assertEqual((None, None, None, None, []), (
            got.username, got.password, got.auth_url, got.project_name,
            got.websocket_url))
        self.assertEqual('poll', got.delivery)
        self.assertEqual([('127.0.0.1', 8888), ('127.0.0.2', 8889)],
                         got.hosts)
        self.assertEqual('/etc/ca.pem', got.cafile)

    def test_render_writes_what_the_guest_reads(self):
        grants = [{'paths': ['/v2/queues/q/messages'], 'signature': 's'}]
        files = provision.render(CONTROL, grants)
        self.assertEqual({provision.GUEST_CONF, provision.GRANTS_FILE},
                         set(files))
        self.assertEqual(grants, json.loads(files[provision.GRANTS_FILE]))
        directory = self.useFixture(fixtures.TempDir()).path
        paths = provision.write(directory, files)
        for path in paths.values():
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        url = provision.configured_url(paths[provision.GUEST_CONF])
        self.assertEqual('/etc/trove/conf.d/zaqar-grants.json',
                         self.parse(url).signed_urls_file)

    def test_expiry_is_zaqars_format(self):
        now = datetime.datetime(2026, 1, 2, 3, 4, 5,
                                tzinfo=datetime.timezone.utc)
        self.assertEqual('2026-01-03T03:04:05', provision.expiry(now=now))


class TestMint(test_settings.SettingsTestCase):

    def test_grants_of_trove_s_guest_target_and_the_conductor(self):
        transport = FakeTransport()
        provision.mint(transport, A, '2030-01-01T00:00:00')
        target, expires, sends = transport._driver.shared[0]
        self.assertEqual(('trove', 'guestagent.' + A, A),
                         (target.exchange, target.topic, target.server))
        self.assertEqual([('trove', 'trove-conductor')], sends)

    def test_cli_writes_one_config_per_guest(self):
        transport = FakeTransport()
        self.useFixture(fixtures.MockPatchObject(
            om, 'get_rpc_transport', return_value=transport))
        out = self.useFixture(fixtures.TempDir()).path
        stdout = self.useFixture(fixtures.StringStream('stdout'))
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', stdout.stream))
        self.assertEqual(0, provision.main(
            ['--out-dir', out, '--guest-url', 'zaqar://ctl:80/messaging',
             '--grants-path', '/etc/trove/{id}.json', A, B],
            environ={provision.CONTROL_URL_ENV: CONTROL}))
        self.assertTrue(transport.cleaned)
        urls = {}
        for instance_id in (A, B):
            directory = os.path.join(out, instance_id)
            urls[instance_id] = self.parse(provision.configured_url(
                os.path.join(directory, provision.GUEST_CONF)))
            with open(os.path.join(directory, provision.GRANTS_FILE)) as f:
                self.assertEqual('sig-' + instance_id,
                                 json.load(f)[0]['signature'])
        self.assertEqual('/etc/trove/%s.json' % A, urls[A].signed_urls_file)
        self.assertEqual('/etc/trove/%s.json' % B, urls[B].signed_urls_file)
        self.assertEqual([('ctl', 80)], urls[A].hosts)

    def test_cli_needs_the_control_url_from_the_environment(self):
        stderr = self.useFixture(fixtures.StringStream('stderr'))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr.stream))
        self.assertRaises(SystemExit, provision.main,
                          ['--out-dir', '/nonexistent', '--guest-url',
                           'zaqar://ctl:80/', A], environ={})
