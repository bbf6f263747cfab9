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

"""Transport URL parsing, option overrides and secret masking."""

from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import settings

SECRET = 's3cr:t@P%w'
QUOTED = 's3cr%3At%40P%25w'
STACK_URL = ('zaqar://rpc-user:%s@127.0.0.1:8888,127.0.0.2:8889/'
             '?auth_url=http://127.0.0.1:5000/v3&project_name=rpc'
             '&user_domain_name=Default&project_domain_name=Default'
             '&websocket_url=ws://127.0.0.1:9000' % QUOTED)


class SettingsTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        self.conf([])
        options.register_opts(self.conf)

    def parse(self, url):
        return settings.from_url(self.conf,
                                 om.TransportURL.parse(self.conf, url))

    def refused(self, url):
        return self.assertRaises(om.InvalidTransportURL, self.parse, url)


class TestUrl(SettingsTestCase):

    def test_the_stack_url(self):
        got = self.parse(STACK_URL)
        self.assertEqual('http', got.scheme)
        self.assertEqual([('127.0.0.1', 8888), ('127.0.0.2', 8889)],
                         got.hosts)
        self.assertEqual(('rpc-user', SECRET), (got.username, got.password))
        self.assertEqual('http://127.0.0.1:5000/v3', got.auth_url)
        self.assertEqual(('rpc', 'Default', 'Default'),
                         (got.project_name, got.user_domain_name,
                          got.project_domain_name))
        self.assertEqual(['ws://127.0.0.1:9000'], got.websocket_url)
        self.assertEqual(('keystone', 'push'), (got.auth_mode, got.delivery))
        self.assertEqual('', got.base_path)

    def test_tls_scheme_default_port_and_base_path(self):
        got = self.parse('zaqar+https://u:p@zaqar.example.org/messaging/'
                         '?auth_url=https://k/v3')
        self.assertEqual('https', got.scheme)
        self.assertEqual([('zaqar.example.org', 8888)], got.hosts)
        self.assertEqual('/messaging', got.base_path)
        self.assertEqual('poll', got.delivery)

    def test_bad_scheme_and_missing_host(self):
        self.refused('zaqar+ftp://u:p@h:1/?auth_url=http://k')
        self.refused('zaqar:///?auth=noauth&project_id=p')

    def test_query_overrides_the_configuration(self):
        self.conf.set_override('project_name', 'from-conf',
                               options.GROUP)
        self.conf.set_override('max_message_size', 4096, options.GROUP)
        got = self.parse(STACK_URL + '&max_message_size=2048')
        self.assertEqual(('rpc', 2048), (got.project_name,
                                         got.max_message_size))
        got = self.parse('zaqar://u:p@h:1/?auth_url=http://k')
        self.assertEqual(('from-conf', 4096), (got.project_name,
                                               got.max_message_size))

    def test_url_credentials_override_the_configuration(self):
        self.conf.set_override('username', 'conf-user', options.GROUP)
        self.conf.set_override('password', 'conf-pass', options.GROUP)
        self.conf.set_override('auth_url', 'http://k/v3', options.GROUP)
        got = self.parse('zaqar://h:1/')
        self.assertEqual(('conf-user', 'conf-pass'),
                         (got.username, got.password))
        got = self.parse('zaqar://url-user:url-pass@h:1/')
        self.assertEqual(('url-user', 'url-pass'),
                         (got.username, got.password))

    def test_auth_alias_and_modes(self):
        got = self.parse('zaqar://h:1/?auth=noauth&project_id=p')
        self.assertEqual(('noauth', 'p'), (got.auth_mode, got.project_id))
        got = self.parse('zaqar://h:1/?auth_mode=token&token=t&project_id=p')
        self.assertEqual('token', got.auth_mode)
        got = self.parse('zaqar://h:1/?auth=signed&signed_urls_file=/x'
                         '&websocket_url=ws://w')
        self.assertEqual('poll', got.delivery)

    def test_each_auth_mode_needs_its_options(self):
        self.refused('zaqar://h:1/?auth_url=http://k')
        self.refused('zaqar://u@h:1/?auth_url=http://k')
        self.refused('zaqar://u:p@h:1/')
        self.refused('zaqar://h:1/?auth=token&token=t')
        self.refused('zaqar://h:1/?auth=token&project_id=p')
        self.refused('zaqar://h:1/?auth=noauth')
        self.refused('zaqar://h:1/?auth=signed')
        self.refused('zaqar://h:1/?auth=magic&project_id=p')

    def test_delivery_choice(self):
        base = 'zaqar://h:1/?auth=noauth&project_id=p'
        self.assertEqual('poll', self.parse(base).delivery)
        self.assertEqual('poll', self.parse(
            base + '&websocket_url=ws://w&delivery=poll').delivery)
        self.assertEqual('push', self.parse(
            base + '&websocket_url=ws://w,ws://v').delivery)
        self.refused(base + '&delivery=push')
        self.refused(base + '&delivery=fast')
        self.refused('zaqar://h:1/?auth=signed&signed_urls_file=/x'
                     '&delivery=push&websocket_url=ws://w')

    def test_unknown_or_bad_options_are_refused(self):
        base = 'zaqar://h:1/?auth=noauth&project_id=p'
        error = self.refused(base + '&colour=blue')
        self.assertIn('colour', str(error))
        self.refused(base + '&max_message_size=big')
        self.refused(base + '&max_message_size=10')
        self.refused(base + '&queue_prefix=Has-Dash')


class TestSecrets(SettingsTestCase):

    def test_repr_and_safe_url_hide_the_password(self):
        url = om.TransportURL.parse(self.conf, STACK_URL + '&token=tok3n')
        got = settings.from_url(self.conf, url)
        for text in (repr(got), got.url_text, settings.safe_url(url)):
            self.assertNotIn(SECRET, text)
            self.assertNotIn(QUOTED, text)
            self.assertNotIn('tok3n', text)
            self.assertIn('rpc-user', text)

    def test_errors_do_not_show_the_password(self):
        for url in (STACK_URL + '&colour=blue',
                    STACK_URL.replace('zaqar:', 'zaqar+ftp:'),
                    STACK_URL + '&delivery=fast',
                    STACK_URL + '&password=' + QUOTED + '&bad=1'):
            error = self.refused(url)
            self.assertNotIn(SECRET, str(error))
            self.assertNotIn(QUOTED, str(error))
            self.assertNotIn(SECRET, repr(error.url))
