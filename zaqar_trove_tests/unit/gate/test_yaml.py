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

"""yamllint, with the repository's .yamllint, on every YAML file."""

import os

import fixtures

from zaqar_trove_tests.unit.gate import base

SKIP_DIRS = {'build', 'dist', 'reports'}
BROKEN = """---
- job:
    name: x
    voting: yes
    vars:
      a: &unused 1
      a: 2
"""


def yaml_files(root):
    """Every *.yaml/*.yml below ``root`` outside hidden and build dirs."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith('.') and
                       d not in SKIP_DIRS and not d.endswith('.egg-info')]
        found += [os.path.join(dirpath, f) for f in filenames
                  if f.endswith(('.yaml', '.yml'))]
    return sorted(found)


class TestYamlLint(base.GateTestCase):

    def setUp(self):
        super().setUp()
        self.yamllint = self.require_tool('yamllint', 'yamllint')
        self.config = base.repo_path('.yamllint')

    def lint(self, paths):
        return base.run([self.yamllint, '-f', 'parsable', '-c', self.config]
                        + paths)

    def test_every_yaml_file_is_clean(self):
        paths = yaml_files(base.REPO) + [self.config]
        self.assertIn(base.repo_path('zuul.d', 'jobs.yaml'), paths)
        result = self.lint(paths)
        self.assertEqual(0, result.returncode, result.stdout)

    def test_broken_yaml_is_rejected(self):
        path = self.useFixture(fixtures.TempDir()).join('broken.yaml')
        with open(path, 'w') as f:
            f.write(BROKEN)
        result = self.lint([path])
        self.assertNotEqual(0, result.returncode)
        self.assertIn('key-duplicates', result.stdout)
        self.assertIn('truthy', result.stdout)
        self.assertIn('unused anchor', result.stdout)
