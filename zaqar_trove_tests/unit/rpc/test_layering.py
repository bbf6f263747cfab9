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

"""rpc/ stays extractable; oslo_messaging._drivers is imported only there.

And the unit tests stay pure: nothing under unit/ imports functional/,
where everything that starts a service (a local Zaqar, the stack) lives.
"""

import ast
import os

import testtools

import zaqar_trove_tests
from zaqar_trove_tests import rpc

PACKAGE = os.path.dirname(zaqar_trove_tests.__file__)
RPC = os.path.dirname(rpc.__file__)
UNIT = os.path.join(PACKAGE, 'unit')


def _imports(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def _python_files(root):
    for folder, _, files in os.walk(root):
        yield from (os.path.join(folder, f) for f in files
                    if f.endswith('.py'))


class TestLayering(testtools.TestCase):

    def test_rpc_imports_neither_tempest_nor_the_rest_of_the_package(self):
        for path in _python_files(RPC):
            for name in _imports(path):
                self.assertFalse(name.split('.')[0] == 'tempest',
                                 (path, name))
                if name.startswith('zaqar_trove_tests'):
                    self.assertTrue(
                        name.startswith('zaqar_trove_tests.rpc'),
                        (path, name))

    def test_oslo_messaging_driver_api_only_in_rpc(self):
        for path in _python_files(PACKAGE):
            if path.startswith(RPC + os.sep):
                continue
            for name in _imports(path):
                self.assertFalse(
                    name.startswith('oslo_messaging._drivers'), (path, name))

    def test_unit_tests_import_nothing_of_the_functional_tests(self):
        for path in _python_files(UNIT):
            for name in _imports(path):
                self.assertFalse(
                    name.startswith('zaqar_trove_tests.functional'),
                    (path, name))
