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

"""zuul.d/: our strict schema, cross-references, Zuul's own schema.

Every check is also fed a broken snippet, to show that it can fail.
"""

import importlib.util
import json
import os
import re
import sys
import textwrap

import fixtures
import stevedore
from tempest import config as tempest_config
import yaml

from zaqar_trove_tests.unit.gate import base
from zaqar_trove_tests.unit.gate import gate_config as gc

ZUUL_DIR = base.repo_path('zuul.d')
GOOD = textwrap.dedent("""\
    - job:
        name: zaqar-trove-tests-base
        abstract: true
        parent: devstack-tempest
        description: An abstract base for the snippets of these tests.
        required-projects: [openstack/zaqar, x/zaqar-trove-tests,
                            openstack/oslo.messaging,
                            openstack/python-zaqarclient]
        irrelevant-files: ['^doc/.*$', '^.*\\.rst$', '^tox\\.ini$',
                           '^test-requirements\\.txt$',
                           '^zaqar_trove_tests/unit/.*$']
        post-run: playbooks/post.yaml
        vars:
          tempest_concurrency: 2
          tempest_plugins: [zaqar-trove-tests]
          tempest_test_regex: ^zaqar_trove_tests\\.tests\\.api\\.
          devstack_plugins:
            zaqar: https://opendev.org/openstack/zaqar
            trove: ''
            zaqar-trove-tests: https://opendev.org/x/zaqar-trove-tests
          devstack_localrc:
            ZAQAR_TROVE_CONTROL_TRANSPORT: zaqar
    - job:
        name: zaqar-trove-tests-api
        parent: zaqar-trove-tests-base
        description: A concrete job of the snippets of these tests.
    - project:
        check: {jobs: [zaqar-trove-tests-api]}
        gate: {jobs: [zaqar-trove-tests-api]}
    """)


def _known_tempest_options():
    """``{group: {option}}`` of tempest and every installed plugin."""
    known = {}

    def add(group, opts):
        name = getattr(group, 'name', group)
        known.setdefault(name, set()).update(o.name for o in opts)

    for group, opts in tempest_config._opts:
        add(group, opts)
    manager = stevedore.ExtensionManager('tempest.test_plugins',
                                         invoke_on_load=True)
    for ext in manager:
        for group, opts in ext.obj.get_opt_lists():
            add(group, opts)
    return known


class ZuulTestCase(base.GateTestCase):

    def setUp(self):
        super().setUp()
        self.settings = base.read('devstack', 'settings')
        self.plugin_sh = base.read('devstack', 'plugin.sh')

    def problems(self, config):
        return (gc.reference_problems(config) +
                gc.devstack_problems(config, self.settings, self.plugin_sh) +
                gc.regex_problems(config))

    def assertCaught(self, text, expected, replace=None):
        """A problem mentions ``expected`` in ``text`` or GOOD+replace."""
        if replace:
            old, new = replace
            self.assertIn(old, GOOD)
            text = GOOD.replace(old, new)
        problems = self.problems(gc.ZuulConfig.from_text(text))
        self.assertTrue(any(expected in p for p in problems),
                        'no problem mentions %r: %s' % (expected, problems))


class TestOurZuulConfig(ZuulTestCase):

    def setUp(self):
        super().setUp()
        self.config = gc.ZuulConfig.from_dir(ZUUL_DIR)

    def test_snippet_of_these_tests_is_itself_valid(self):
        self.assertEqual([], self.problems(gc.ZuulConfig.from_text(GOOD)))

    def test_schema_and_references(self):
        self.assertEqual([], self.config.problems)
        self.assertEqual([], gc.reference_problems(self.config))

    def test_devstack_plugins_projects_and_variables(self):
        self.assertEqual([], gc.devstack_problems(
            self.config, self.settings, self.plugin_sh))

    def test_regexes(self):
        self.assertEqual([], gc.regex_problems(self.config))

    def test_every_tempest_option_set_is_registered(self):
        options = gc.tempest_options_in_jobs(self.config)
        options.update(gc.tempest_options_in_plugin(self.plugin_sh))
        self.assertIn(('zaqar_trove', 'zaqar_transport_url'), options)
        self.assertEqual([], gc.tempest_option_problems(
            options, _known_tempest_options()))

    def test_the_jobs_the_project_promises(self):
        jobs = set(self.config.concrete())
        for variant in ('api', 'api-mongodb', 'rpc', 'trove', 'multinode'):
            self.assertIn('zaqar-trove-tests-' + variant, jobs)
        base_job = self.config.jobs['zaqar-trove-tests-base']
        self.assertTrue(base_job['abstract'])
        self.assertEqual('devstack-tempest', base_job['parent'])
        self.assertEqual(['zaqar', 'trove', 'zaqar-trove-tests'],
                         list(base_job['vars']['devstack_plugins']))
        trove = self.config.resolved('zaqar-trove-tests-trove')
        self.assertFalse(trove['voting'])
        self.assertEqual('nested-virt-ubuntu-noble', self.config.nodesets[
            trove['nodeset']]['nodes'][0]['label'])
        self.assertGreaterEqual(trove['timeout'], 10800)
        self.assertEqual('mongodb', self.config.host_vars(
            'zaqar-trove-tests-api-mongodb')['devstack_localrc'][
                'ZAQAR_BACKEND'])
        subnode = self.config.host_vars('zaqar-trove-tests-multinode',
                                        'subnode')
        self.assertTrue(subnode['devstack_services']['ztt-guest'])
        self.assertEqual(
            subnode['devstack_localrc']['ZAQAR_TROVE_REMOTE_GUESTS'],
            self.config.host_vars('zaqar-trove-tests-multinode')[
                'devstack_localrc']['ZAQAR_TROVE_REMOTE_GUESTS'])
        for name in ('zaqar-trove-tests-api', 'zaqar-trove-tests-rpc'):
            self.assertEqual('', self.config.host_vars(name)[
                'devstack_plugins']['trove'])

    def test_a_gate_that_gates(self):
        gate = self.config.pipeline_jobs('gate')
        check = self.config.pipeline_jobs('check')
        for env in ('local', 'faults'):
            name = 'zaqar-trove-tests-tox-' + env
            job = self.config.resolved(name)
            self.assertEqual('openstack-tox', self.config.chain(name)[1])
            self.assertEqual((env, 'test'), (job['vars']['tox_envlist'],
                                             job['vars']['bindep_profile']))
            self.assertTrue(self.config.voting(name, gate[name]))
        # mongodb votes and gates.
        self.assertTrue(self.config.voting('zaqar-trove-tests-api-mongodb'))
        self.assertIn('zaqar-trove-tests-api-mongodb', gate)
        # TLS is on in a job.
        tls = [n for n in self.config.concrete() if self.config.host_vars(
            n).get('devstack_localrc', {}).get('ZAQAR_TROVE_TLS') is True]
        self.assertEqual(['zaqar-trove-tests-rpc-tls'], tls)
        self.assertTrue(self.config.host_vars(tls[0])['devstack_services'][
            'tls-proxy'])
        # Weekly: api, mongodb, rpc and trove.
        weekly = ('api', 'api-mongodb', 'rpc', 'trove')
        self.assertEqual({'zaqar-trove-tests-' + n for n in weekly},
                         set(self.config.pipeline_jobs('periodic-weekly')))
        # The latest stable branch, api and rpc, in check only.
        for base_name in ('zaqar-trove-tests-api', 'zaqar-trove-tests-rpc'):
            name = base_name + '-2026-1'
            self.assertEqual(base_name, self.config.jobs[name]['parent'])
            self.assertEqual('stable/2026.1', self.config.resolved(name)[
                'override-checkout'])
            self.assertIn(name, check)
            self.assertNotIn(name, gate)
        # oslo.messaging and python-zaqarclient changes run every job.
        for name in self.config.concrete():
            if name != 'openstack-tox-pep8':
                projects = self.config.resolved(name)['required-projects']
                self.assertIn('openstack/oslo.messaging', projects, name)
                self.assertIn('openstack/python-zaqarclient', projects,
                              name)

    def test_the_trove_job_selects_trv3_and_no_other_job_does(self):
        from zaqar_trove_tests.tests.scenario import test_trove_instance
        ids = ['%s.%s.%s' % (test_trove_instance.__name__, cls.__name__,
                             name)
               for cls in vars(test_trove_instance).values()
               if isinstance(cls, type) and cls.__module__ ==
               test_trove_instance.__name__
               for name in dir(cls) if name.startswith('test_')]
        self.assertGreaterEqual(len(ids), 5)
        selects = {name: [i for i in ids if re.search(
            self.config.host_vars(name).get('tempest_test_regex', '$^'), i)]
            for name in self.config.concrete()
            if self.config.is_devstack(name)}
        self.assertEqual(ids, selects['zaqar-trove-tests-trove'])
        for name in ('zaqar-trove-tests-api', 'zaqar-trove-tests-rpc'):
            self.assertEqual([], selects[name])


class TestBrokenSnippetsAreCaught(ZuulTestCase):

    def test_duplicate_key(self):
        self.assertRaises(yaml.constructor.ConstructorError,
                          gc.ZuulConfig.from_text,
                          GOOD.replace('    vars:\n', '    voting: true\n'
                                       '    voting: false\n    vars:\n', 1))

    def test_misspelt_variable(self):
        self.assertCaught(None, "'tempest_test_regexp' was unexpected",
                          ('tempest_test_regex:', 'tempest_test_regexp:'))

    def test_misspelt_job_attribute(self):
        self.assertCaught(None, "'irrelevant_files' was unexpected",
                          ('irrelevant-files:', 'irrelevant_files:'))

    def test_unknown_parent(self):
        self.assertCaught(None, 'unknown parent job devstack-tempst',
                          ('parent: devstack-tempest',
                           'parent: devstack-tempst'))

    def test_missing_playbook(self):
        self.assertCaught(None, 'playbooks/gone.yaml does not exist',
                          ('playbooks/post.yaml', 'playbooks/gone.yaml'))

    def test_unknown_nodeset(self):
        self.assertCaught(None, 'unknown nodeset openstack-single-node-nobel',
                          ('parent: zaqar-trove-tests-base\n',
                           'parent: zaqar-trove-tests-base\n'
                           '    nodeset: openstack-single-node-nobel\n'))

    def test_group_vars_for_a_group_the_nodeset_lacks(self):
        self.assertCaught(None, 'group-vars for subnode',
                          ('parent: zaqar-trove-tests-base\n',
                           'parent: zaqar-trove-tests-base\n'
                           '    group-vars: {subnode: {}}\n'))

    def test_non_voting_job_in_gate(self):
        self.assertCaught(None, 'gate: job zaqar-trove-tests-api does not '
                          'vote', ('parent: zaqar-trove-tests-base\n',
                                   'parent: zaqar-trove-tests-base\n'
                                   '    voting: false\n'))

    def test_job_defined_but_never_run(self):
        self.assertCaught(
            GOOD + textwrap.dedent("""\
                - job:
                    name: zaqar-trove-tests-orphan
                    parent: zaqar-trove-tests-base
                    description: A job no pipeline of the project runs.
                """), 'zaqar-trove-tests-orphan is defined but never run')

    def test_required_plugin_missing_from_devstack_plugins(self):
        self.assertCaught(None, 'requires plugin trove',
                          ("        trove: ''\n", ''))

    def test_plugin_repository_not_a_required_project(self):
        self.assertCaught(None, 'plugin zaqar (https://opendev.org/openstack/'
                          'zaqar) is not a required project',
                          ('[openstack/zaqar, ', '['))

    def test_unknown_devstack_variable(self):
        self.assertCaught(None, 'ZAQAR_TROVE_CONTROL_TRANSPRT is not a '
                          'variable', ('ZAQAR_TROVE_CONTROL_TRANSPORT:',
                                       'ZAQAR_TROVE_CONTROL_TRANSPRT:'))

    def test_implicit_tempest_concurrency(self):
        self.assertCaught(None, 'tempest_concurrency is not explicit',
                          ('      tempest_concurrency: 2\n', ''))

    def test_regex_selecting_no_test_package(self):
        self.assertCaught(None, 'selects no test package',
                          ('tests\\.api', 'tests\\.apis'))

    def test_irrelevant_files_hiding_a_gate_file(self):
        self.assertCaught(None, 'a change to devstack/plugin.sh would not '
                          'run it', ("'^doc/.*$'", "'^d.*$'"))

    def test_stable_variant_of_an_unknown_branch(self):
        self.assertCaught(None, 'override-checkout stable/2062.1 is not a '
                          'maintained stable branch',
                          ('parent: zaqar-trove-tests-base\n',
                           'parent: zaqar-trove-tests-base\n'
                           '    nodeset: openstack-single-node-noble\n'
                           '    override-checkout: stable/2062.1\n'))

    def test_stable_variant_without_its_nodeset(self):
        self.assertCaught(None, 'a stable-branch variant names its nodeset',
                          ('parent: zaqar-trove-tests-base\n',
                           'parent: zaqar-trove-tests-base\n'
                           '    override-checkout: stable/2026.1\n'))

    def test_stable_variant_in_gate(self):
        self.assertCaught(None, 'gate: zaqar-trove-tests-api is a '
                          'stable-branch variant',
                          ('parent: zaqar-trove-tests-base\n',
                           'parent: zaqar-trove-tests-base\n'
                           '    nodeset: openstack-single-node-noble\n'
                           '    override-checkout: stable/2026.1\n'))

    def test_misspelt_override_checkout(self):
        self.assertCaught(None, "'override_checkout' was unexpected",
                          ('parent: zaqar-trove-tests-base\n',
                           'parent: zaqar-trove-tests-base\n'
                           '    override_checkout: stable/2026.1\n'))

    def test_driver_library_not_cross_gated(self):
        self.assertCaught(None, 'openstack/oslo.messaging is not a '
                          'required project',
                          ('                        openstack/oslo.'
                           'messaging,\n', ''))

    @staticmethod
    def _with_tox_job(name, description, tox_vars):
        """GOOD plus a tox job ``name`` in check, without required-projects."""
        checked = GOOD.replace('check: {jobs: [',
                               'check: {jobs: [%s, ' % name)
        return checked + (
            '- job:\n'
            '    name: %s\n'
            '    parent: openstack-tox\n'
            '    description: %s\n'
            '    vars: %s\n' % (name, description, tox_vars))

    def test_tox_job_loading_the_driver_not_cross_gated(self):
        self.assertCaught(
            self._with_tox_job('zaqar-trove-tests-tox-local',
                               'tox -e local without the libraries.',
                               '{tox_envlist: local, bindep_profile: test}'),
            'zaqar-trove-tests-tox-local: openstack/python-zaqarclient is '
            'not a required project')

    def test_unknown_tox_env(self):
        self.assertCaught(
            self._with_tox_job('zaqar-trove-tests-tox-x',
                               'tox -e lokal, an env tox.ini lacks.',
                               '{tox_envlist: lokal}'),
            "'lokal' is not one of")

    def _pipeline(self, pipeline, job):
        gate = '    gate: {jobs: [zaqar-trove-tests-api]}\n'
        return (gate, gate + '    %s: {jobs: [%s]}\n' % (pipeline, job))

    def test_unknown_job_in_the_periodic_pipeline(self):
        self.assertCaught(None, 'periodic-weekly: unknown job '
                          'zaqar-trove-tests-apii', self._pipeline(
                              'periodic-weekly', 'zaqar-trove-tests-apii'))

    def test_misspelt_pipeline(self):
        self.assertCaught(None, "'periodic-weekley' was unexpected",
                          self._pipeline('periodic-weekley',
                                         'zaqar-trove-tests-api'))

    def test_unknown_tempest_option(self):
        problems = gc.tempest_option_problems(
            {('zaqar_trove', 'zaqar_transport_uri'): 'job x'},
            _known_tempest_options())
        self.assertEqual(1, len(problems))
        self.assertIn('[zaqar_trove] zaqar_transport_uri', problems[0])


class TestZuulsOwnSchema(base.GateTestCase):
    """zuul_schema.py under an interpreter that has the zuul package.

    zuul pins sqlalchemy<2.1, so it cannot live in this project's venv:
    set ZTT_ZUUL_PYTHON to a python that has it (``tox`` makes one in its
    zuul-schema env and points py3 at it); without one these tests skip.
    """

    def setUp(self):
        super().setUp()
        self.python = os.environ.get('ZTT_ZUUL_PYTHON')
        if self.python and not os.path.exists(self.python):
            self.fail('ZTT_ZUUL_PYTHON=%s does not exist: run '
                      '`tox -e zuul-schema` first' % self.python)
        if not self.python:
            if importlib.util.find_spec('zuul') is None:
                self.skipTest('zuul is not installed here; set '
                              'ZTT_ZUUL_PYTHON to a python that has it')
            self.python = sys.executable

    def check(self, *paths):
        result = base.run([self.python, os.path.join(
            base.HERE, 'zuul_schema.py')] + list(paths))
        self.assertEqual(0, result.returncode, result.stderr)
        return json.loads(result.stdout)

    def test_our_files_pass_zuuls_schema(self):
        paths = sorted(os.path.join(ZUUL_DIR, n) for n in os.listdir(
            ZUUL_DIR) if n.endswith('.yaml'))
        self.assertEqual([], self.check(*paths))

    def test_zuuls_schema_rejects_a_broken_job(self):
        path = self.useFixture(fixtures.TempDir()).join('broken.yaml')
        with open(path, 'w') as f:
            f.write(GOOD.replace('    vars:\n', '    timeout: soon\n'
                                 '    vars:\n', 1))
        errors = self.check(path)
        self.assertTrue(any("data['timeout']" in e for e in errors), errors)
