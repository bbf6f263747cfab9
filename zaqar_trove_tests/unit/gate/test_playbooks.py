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

"""playbooks/: ``ansible-playbook --syntax-check``, offline.

Our playbooks use ansible.builtin modules only (no zuul-jobs roles), so
the syntax check resolves everything they reference without Zuul.
"""

import os

import fixtures

from zaqar_trove_tests.unit.gate import base

BROKEN = """---
- hosts: all
  tasks:
    - name: A task with two modules
      ansible.builtin.command: /bin/true
      ansible.builtin.shell: /bin/false
"""
MISSING_ROLE = """---
- hosts: all
  roles:
    - fetch-subunit-output
"""


class TestPlaybooks(base.GateTestCase):

    def setUp(self):
        super().setUp()
        self.ansible = self.require_tool('ansible-playbook', 'ansible-core')
        home = self.useFixture(fixtures.TempDir()).path
        self.env = dict(os.environ, ANSIBLE_HOME=home,
                        ANSIBLE_LOCAL_TEMP=os.path.join(home, 'tmp'),
                        ANSIBLE_ROLES_PATH=os.path.join(home, 'roles'),
                        ANSIBLE_NOCOLOR='1')

    def syntax_check(self, path):
        return base.run([self.ansible, '--syntax-check', '-i', 'localhost,',
                         path], env=self.env)

    def test_every_playbook_passes_the_syntax_check(self):
        directory = base.repo_path('playbooks')
        playbooks = sorted(n for n in os.listdir(directory)
                           if n.endswith('.yaml'))
        self.assertEqual(['post.yaml', 'pre.yaml', 'zuul-python.yaml'],
                         playbooks)
        for name in playbooks:
            result = self.syntax_check(os.path.join(directory, name))
            self.assertEqual(0, result.returncode,
                             name + result.stdout + result.stderr)

    def _check_fails(self, text, expected):
        path = self.useFixture(fixtures.TempDir()).join('broken.yaml')
        with open(path, 'w') as f:
            f.write(text)
        result = self.syntax_check(path)
        self.assertNotEqual(0, result.returncode)
        self.assertIn(expected, result.stdout + result.stderr)

    def test_a_broken_playbook_is_rejected(self):
        self._check_fails(BROKEN, 'conflicting action statements')

    def test_a_role_from_elsewhere_is_rejected(self):
        self._check_fails(MISSING_ROLE, 'fetch-subunit-output')
