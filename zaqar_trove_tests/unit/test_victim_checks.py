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


"""Every negative isolation test checks the victim afterwards.

The rule, read from the source of ``tests/api/test_isolation_*.py``
(parsed with ``ast``, never imported or run):

* A test method (``test_*``) is *negative* when it is tagged ``negative``
  (``@decorators.attr(type=[..., 'negative'])``) or a word of its name
  (split at ``_``) is one of ``REFUSAL_WORDS``.
* A negative test must reach a *victim check*: ``resources.assert_intact``
  (the victim as it was before) or ``resources.victim_after`` (its state
  now, for ``defects.expect`` where a known defect changes it), in its
  body or, at any depth, in a method it uses as ``self.<name>`` that its
  class or a base class of the same module defines.
"""

import ast
import glob
import os

import testtools

import zaqar_trove_tests

ISOLATION_MODULES = os.path.join(
    os.path.dirname(zaqar_trove_tests.__file__), 'tests', 'api',
    'test_isolation_*.py')
REFUSAL_WORDS = frozenset(['refused', 'cannot', 'forged', 'not', 'never'])
VICTIM_CHECKS = frozenset(['assert_intact', 'victim_after'])


def negative_tests(source):
    """(name, checks the victim) of each negative test, in source order.

    The name is ``Class.method``.
    """
    classes = {node.name: node for node in ast.parse(source).body
               if isinstance(node, ast.ClassDef)}
    found = []
    for cls in classes.values():
        mro = _mro(cls, classes)
        for func in cls.body:
            if (isinstance(func, ast.FunctionDef) and
                    func.name.startswith('test_') and _negative(func)):
                found.append(('%s.%s' % (cls.name, func.name),
                              _checks_victim(func, mro, set())))
    return found


def unchecked(source):
    """Names of the negative tests in ``source`` that skip the victim."""
    return [name for name, checked in negative_tests(source)
            if not checked]


def _mro(cls, classes):
    order = [cls]
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            order += _mro(classes[base.id], classes)
    return order


def _negative(func):
    if REFUSAL_WORDS.intersection(func.name.split('_')):
        return True
    for decorator in func.decorator_list:
        if not (isinstance(decorator, ast.Call) and
                isinstance(decorator.func, ast.Attribute) and
                decorator.func.attr == 'attr'):
            continue
        for keyword in decorator.keywords:
            if keyword.arg == 'type':
                types = ast.literal_eval(keyword.value)
                if 'negative' in ([types] if isinstance(types, str)
                                  else types):
                    return True
    return False


def _checks_victim(func, mro, seen):
    for node in ast.walk(func):
        if not (isinstance(node, ast.Attribute) and
                isinstance(node.value, ast.Name)):
            continue
        if node.value.id == 'resources' and node.attr in VICTIM_CHECKS:
            return True
        if node.value.id == 'self' and node.attr not in seen:
            seen.add(node.attr)
            helper = _method(mro, node.attr)
            if helper is not None and _checks_victim(helper, mro, seen):
                return True
    return False


def _method(mro, name):
    for cls in mro:
        for node in cls.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
    return None


BROKEN = '''
class Base(base.TwoProjectsTest):

    def check_all_refused(self):
        self.send()
        self.assert_intact()

    def assert_intact(self):
        resources.assert_intact(self, self.primary, self.victim, self.before)


class Isolation(Base):

    @decorators.attr(type=['negative'])
    def test_tagged_without_check(self):
        self.assertEqual(403, self.send())

    @decorators.attr(type='negative')
    def test_tagged_as_a_string_without_check(self):
        self.send()

    def test_alt_cannot_show_it(self):
        self.assertIsNone(self.alt_show())

    def test_forged_reply_is_dropped(self):
        defects.expect(self, 'x', self.send(), correct=1, symptom=2)

    @decorators.attr(type=['negative'])
    def test_through_two_helpers(self):
        self.check_all_refused()

    def test_post_is_not_refused_when_checked_directly(self):
        resources.assert_intact(self, self.primary, self.victim, self.before)

    def test_delete_refused_checked_with_the_defect(self):
        defects.expect(self, 'x', (self.send(), resources.victim_after(
            self.primary, self.victim)), correct=1, symptom=2)

    def test_positive_control_lists_its_queue(self):
        self.assertEqual([], self.send())

    @decorators.attr(type=['slow'])
    def test_slow_positive_control(self):
        self.send()

    def check_refusal_helper_is_no_test(self):
        self.send()
'''


class TestVictimChecks(testtools.TestCase):

    def test_every_negative_isolation_test_checks_the_victim(self):
        modules = sorted(glob.glob(ISOLATION_MODULES))
        self.assertEqual(['test_isolation_auth.py',
                          'test_isolation_projects.py',
                          'test_isolation_signed_urls.py',
                          'test_isolation_websocket.py'],
                         [os.path.basename(path) for path in modules])
        negative, offenders = [], []
        for path in modules:
            with open(path) as source:
                found = negative_tests(source.read())
            negative += [name for name, _ in found]
            offenders += ['%s: %s' % (os.path.basename(path), name)
                          for name, checked in found if not checked]
        self.assertEqual([], offenders,
                         'negative isolation tests that do not check the '
                         'victim afterwards')
        # The rule matches what it is meant to: tagged and named tests.
        for name in (
                'BadIdentityTest.test_no_identity_is_refused',
                'ProjectIsolationTest.'
                'test_alt_cannot_delete_primary_message_by_id',
                'SignedUrlTest.test_tampered_paths_refused',
                'WebsocketTokenTest.'
                'test_session_ends_when_its_token_is_revoked',
                'WebsocketSignedUrlTest.'
                'test_signed_connection_refused_for_unsigned_paths'):
            self.assertIn(name, negative)
        self.assertGreater(len(negative), 40)

    def test_a_broken_snippet_is_named(self):
        self.assertEqual(['Isolation.test_tagged_without_check',
                          'Isolation.test_tagged_as_a_string_without_check',
                          'Isolation.test_alt_cannot_show_it',
                          'Isolation.test_forged_reply_is_dropped'],
                         unchecked(BROKEN))
        self.assertEqual(
            ['Isolation.test_through_two_helpers',
             'Isolation.test_post_is_not_refused_when_checked_directly',
             'Isolation.test_delete_refused_checked_with_the_defect'],
            [name for name, checked in negative_tests(BROKEN) if checked])

    def test_a_real_module_without_its_check_is_named(self):
        path = ISOLATION_MODULES.replace('*', 'auth')
        with open(path) as source:
            broken = source.read().replace('resources.assert_intact(',
                                           'resources.observe_victim(')
        named = unchecked(broken)
        self.assertIn('BadIdentityTest.test_revoked_token_is_refused', named)
        self.assertIn('BadIdentityTest.test_alt_token_with_primary_project_'
                      'header_stays_in_alt', named)
