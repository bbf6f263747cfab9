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

"""One real stack (~15 s warm, ~30 s cold): up, use, fault, down.

Skipped, with the reason, when the Debian packages are not installed.
"""

import fixtures
import testtools

from zaqar_trove_tests.stack import binaries
from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import control
from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import identity
from zaqar_trove_tests.stack import procs


class TestLiveStack(testtools.TestCase):

    def setUp(self):
        super().setUp()
        try:
            binaries.find_all()
        except errors.MissingBinary as exc:
            self.skipTest(str(exc))
        self.stack = control.Stack(self.useFixture(fixtures.TempDir()).path)
        self.addCleanup(self.stack.down)

    def _request(self):
        settings = self.stack.settings
        keystone = identity.Keystone(configs.keystone_url(settings),
                                     settings['secrets']['admin_password'])
        self.assertIsNone(bringup.smoke(
            settings, keystone.session.headers['X-Auth-Token']))

    def test_up_serve_kill_restart_down(self):
        bringup.up(self.stack)
        self.assertTrue(self.stack.is_up())
        self.assertRaises(errors.StackAlreadyUp, bringup.up, self.stack)
        with open(self.stack.tempest_conf) as f:
            self.assertIn(configs.zaqar_transport_url(self.stack.settings),
                          f.read())
        self._request()

        zaqar = self.stack.service('zaqar')
        port = zaqar.port
        zaqar.kill()
        self.assertFalse(zaqar.is_running())
        self.assertEqual([], procs.listeners(port))
        zaqar.start()
        self.assertEqual(port, zaqar.port)
        self._request()

        everything = [p for s in self.stack.services()
                      for p in s.processes()]
        ports = [p for s in self.stack.services() for p in s.ports.values()]
        self.assertEqual(len(self.stack.services()),
                         len(self.stack.down()))
        self.assertEqual([], [p for p in everything
                              if procs.is_running(p, procs.start_time(p))])
        self.assertEqual([], [p for p in ports if procs.listeners(p)])
