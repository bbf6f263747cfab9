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

"""Transport URLs derived for other identities, read back by the driver."""

from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.guest import urls
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import settings

BASE = ('zaqar://rpc:s%40cret@10.0.0.1:80,10.0.0.2:80/messaging?'
        'auth_url=http://10.0.0.1/identity&project_name=rpc&'
        'user_domain_name=Default&project_domain_name=Default&'
        'websocket_url=ws://10.0.0.1:9000&queue_prefix=abc')


def parsed(url):
    """The driver's own reading of ``url``."""
    conf = cfg.ConfigOpts()
    options.register_opts(conf)
    return settings.from_url(conf, om.TransportURL.parse(conf, url))


class UrlsTest(testtools.TestCase):

    def test_with_identity(self):
        got = parsed(urls.with_identity(BASE, 'uid', 'p&w', 'pid'))
        self.assertEqual(('uid', 'p&w', 'pid', None, None, None),
                         (got.user_id, got.password, got.project_id,
                          got.username, got.project_name,
                          got.user_domain_name))
        self.assertEqual([('10.0.0.1', 80), ('10.0.0.2', 80)], got.hosts)
        self.assertEqual('/messaging', got.base_path)
        self.assertEqual(('http://10.0.0.1/identity', ['ws://10.0.0.1:9000'],
                          'abc', 'push'),
                         (got.auth_url, got.websocket_url, got.queue_prefix,
                          got.delivery))

    def test_signed_keeps_no_identity(self):
        got = parsed(urls.signed(BASE, '/etc/grants.json'))
        self.assertEqual(('signed', '/etc/grants.json', 'poll', 'abc'),
                         (got.auth_mode, got.signed_urls_file, got.delivery,
                          got.queue_prefix))
        for name in ('username', 'password', 'auth_url', 'project_name',
                     'user_domain_name'):
            self.assertIsNone(getattr(got, name), name)
        self.assertEqual([], got.websocket_url)
        self.assertEqual([('10.0.0.1', 80), ('10.0.0.2', 80)], got.hosts)
