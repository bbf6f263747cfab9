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

"""The stand-in's RPC surface against Trove's own code.

Every method ``trove.guestagent.api.API`` calls or casts is read from
Trove's source; the stand-in must serve exactly those Trove's MySQL guest
manager serves, with the same signatures, and accept what the API sends.
"""

import ast
import inspect

import testtools

from zaqar_trove_tests.guest import manager
from zaqar_trove_tests.guest import troveenv


def api_requests(api_module):
    """``{method: (kind, keyword names)}`` of the API's _call/_cast uses."""
    found = {}
    for node in ast.walk(ast.parse(inspect.getsource(api_module))):
        if (isinstance(node, ast.Call) and
                isinstance(node.func, ast.Attribute) and
                node.func.attr in ('_call', '_cast') and node.args and
                isinstance(node.args[0], ast.Constant)):
            names = {k.arg for k in node.keywords
                     if k.arg not in (None, 'version')}
            kind, known = found.setdefault(node.args[0].value,
                                           (node.func.attr, set()))
            known.update(names)
    return found


class SurfaceTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.trove = troveenv.load()
        cls.requests = api_requests(cls.trove.guest_api)
        cls.mysql = troveenv.import_module(
            'trove.guestagent.datastore.mysql.manager').Manager

    def test_the_api_is_parsed(self):
        self.assertGreater(len(self.requests), 50)
        self.assertEqual('_cast', self.requests['prepare'][0])
        self.assertEqual('_call', self.requests['rpc_ping'][0])
        self.assertEqual({'limit', 'marker', 'include_marker'},
                         self.requests['list_databases'][1])

    def test_serves_what_trove_guest_serves(self):
        for name in self.requests:
            self.assertEqual(hasattr(self.mysql, name),
                             hasattr(manager.GuestManager, name), name)

    def test_missing_on_trove_guest_too(self):
        missing = {name for name in self.requests
                   if not hasattr(self.mysql, name)}
        self.assertEqual({'attach_replication_slave',
                          'cleanup_source_on_replica_detach',
                          'get_diagnostics', 'get_hwinfo', 'update_guest'},
                         missing)

    def test_signatures_are_trove_guests(self):
        for name in self.requests:
            if hasattr(self.mysql, name):
                self.assertEqual(
                    inspect.signature(getattr(self.mysql, name)),
                    inspect.signature(getattr(manager.GuestManager, name)),
                    name)

    def test_accepts_what_the_api_sends(self):
        for name, (_, keywords) in self.requests.items():
            method = getattr(manager.GuestManager, name, None)
            if method is not None:
                inspect.signature(method).bind_partial(
                    None, None, **dict.fromkeys(keywords))

    def test_serves_trove_guests_api_version(self):
        self.assertEqual(self.trove.guest_api.API.API_LATEST_VERSION,
                         manager.GuestManager.target.version)
        self.assertEqual(self.trove.guest_api.API.API_LATEST_VERSION,
                         manager.API_VERSION)
