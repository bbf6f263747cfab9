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

"""How oslo's functional suite is handed its URLs (no service started).

``split_query`` keeps a ``zaqar://`` URL's query away from oslo's harness
(Findings: ``oslo-functional-kafka-query``) without losing an option;
``transport`` names the run an exclusion or known failure applies to.
Only ``handover`` is imported: importing ``oslo_messaging.tests``
monkey-patches the process with eventlet, and the unit tests after this
one would hang; oslo's suite is read as text.
"""

import ast
import importlib.util
import os

import testtools

from zaqar_trove_tests.conformance import handover as suite
from zaqar_trove_tests.rpc import options


def oslo_suite_tests():
    """``{'Class.test', ...}`` of oslo's installed functional suite."""
    root = os.path.dirname(importlib.util.find_spec('oslo_messaging').origin)
    path = os.path.join(root, 'tests', 'functional', 'test_functional.py')
    with open(path) as f:
        tree = ast.parse(f.read())
    return {'%s.%s' % (cls.name, fn.name)
            for cls in tree.body if isinstance(cls, ast.ClassDef)
            for fn in cls.body if isinstance(fn, ast.FunctionDef) and
            fn.name.startswith('test_')}


Z = 'zaqar://u:p@h:8888/'


class TestSplitQuery(testtools.TestCase):

    # name, URL -> URL handed to oslo, driver options
    TABLE = [
        ('keystone options become options', Z + '?auth_url=http://k:5/v3'
         '&project_name=rpc&delivery=push',
         Z, {'auth_url': 'http://k:5/v3', 'project_name': 'rpc',
             'delivery': 'push'}),
        ('the auth alias is auth_mode', Z + '?auth=noauth&project_id=p',
         Z, {'auth_mode': 'noauth', 'project_id': 'p'}),
        ('an unknown key stays, for the driver to refuse', Z + '?bogus=1'
         '&delivery=poll', Z + '?bogus=1', {'delivery': 'poll'}),
        ('no query', Z, Z, {}),
        ('zaqar+https too', 'zaqar+https://h/?delivery=poll',
         'zaqar+https://h/', {'delivery': 'poll'}),
        ('another scheme is left alone', 'rabbit://u:p@h:1/?x=1',
         'rabbit://u:p@h:1/?x=1', {}),
        ('no URL', None, None, {}),
    ]

    def test_table(self):
        for name, url, handed, opts in self.TABLE:
            self.assertEqual((handed, opts), suite.split_query(url), name)


class TestEnvironment(testtools.TestCase):

    def test_urls_and_a_timeout_for_every_test(self):
        env = suite.environment({'PATH': '/bin'}, Z, 90)
        self.assertEqual({'PATH': '/bin', 'RPC_TRANSPORT_URL': Z,
                          'NOTIFY_TRANSPORT_URL': Z,
                          'OS_TEST_TIMEOUT': '90'}, env)

    def test_the_default_timeout(self):
        env = suite.environment({}, Z)
        self.assertEqual(str(suite.TEST_TIMEOUT), env['OS_TEST_TIMEOUT'])

    def test_a_timeout_the_environment_sets_is_kept(self):
        base = {'OS_TEST_TIMEOUT': '7', 'RPC_TRANSPORT_URL': 'fake:/'}
        env = suite.environment(base, Z, 90)
        self.assertEqual('7', env['OS_TEST_TIMEOUT'])
        self.assertEqual(Z, env['RPC_TRANSPORT_URL'])
        self.assertEqual('fake:/', base['RPC_TRANSPORT_URL'])


class TestTransport(testtools.TestCase):

    TABLE = [
        ('rabbit://u:p@h:1/', {}, 'rabbit'),
        (Z, {'delivery': 'push'}, 'zaqar-push'),
        (Z, {'delivery': 'poll', 'websocket_url': 'ws://h:1'}, 'zaqar-poll'),
        (Z, {'websocket_url': 'ws://h:1'}, 'zaqar-push'),   # auto
        (Z, {}, 'zaqar-poll'),                              # auto
    ]

    def test_table(self):
        for url, opts, expected in self.TABLE:
            self.assertEqual(expected, suite.transport(url, opts),
                             (url, opts))

    def test_transport_options_are_driver_options(self):
        known = {opt.dest for opt in options.all_opts()}
        for transport, opts in suite.TRANSPORT_OPTIONS.items():
            self.assertIn(transport, ('push', 'poll', 'rabbit'))
            self.assertEqual(set(), set(opts) - known)

    def test_every_exception_names_a_test_of_the_suite_and_a_reason(self):
        names = set(suite.EXCLUDED) | {n for _, n in suite.KNOWN_FAILURES}
        self.assertEqual(set(), names - oslo_suite_tests())
        for transport, _ in suite.KNOWN_FAILURES:
            self.assertIn(transport, ('rabbit', 'zaqar-push', 'zaqar-poll'))
        for reason in list(suite.EXCLUDED.values()) + list(
                suite.KNOWN_FAILURES.values()):
            self.assertGreater(len(reason), 20)
