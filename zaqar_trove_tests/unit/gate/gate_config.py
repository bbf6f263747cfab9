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

"""The Zuul configuration as data, and what the gate tests check on it.

``ZuulConfig`` loads ``zuul.d/*.yaml`` (duplicate keys are errors) and
resolves our jobs' inheritance the way Zuul does (dicts in ``vars`` and
``group-vars`` merge, everything else is replaced; ``abstract`` is not
inherited). Each ``*_problems`` function returns a list of readable
problems, empty when all is well, so a test can also prove that a broken
snippet is caught.

What other repositories define is listed in ``EXTERNAL_*`` with where it
was read; nothing here reaches the network.
"""

import copy
import os
import re

import jsonschema
import yaml

from zaqar_trove_tests.unit.gate import schemas

REPO_ROOT = os.path.abspath(os.path.join(
    os.path.dirname(__file__), '..', '..', '..'))
OUR_PLUGIN = 'zaqar-trove-tests'
OUR_PROJECT = 'x/zaqar-trove-tests'

#: Jobs of other repositories we use, and where each is defined.
EXTERNAL_JOBS = {
    'devstack-tempest': 'openstack/tempest zuul.d/base.yaml',
    'openstack-tox': 'openstack/openstack-zuul-jobs zuul.d/jobs.yaml',
    'openstack-tox-pep8': 'openstack/openstack-zuul-jobs zuul.d/jobs.yaml',
}
#: Jobs above that run devstack (their descendants get devstack checks).
DEVSTACK_ROOTS = {'devstack-tempest'}
#: Nodesets of other repositories: their node and group names.
EXTERNAL_NODESETS = {
    # openstack/devstack .zuul.yaml
    'openstack-single-node-noble': {
        'nodes': {'controller'}, 'groups': {'tempest'}},
    'openstack-two-node-noble': {
        'nodes': {'controller', 'compute1'},
        'groups': {'tempest', 'compute', 'subnode', 'switch', 'peers'}},
}
#: Node labels OpenDev's nodepool offers that our own nodesets use.
KNOWN_LABELS = {
    'ubuntu-noble': 'openstack/devstack .zuul.yaml',
    'nested-virt-ubuntu-noble': 'openstack/trove zuul.d/nodesets.yaml',
}
#: Stable branches a variant may check out (override-checkout), and where
#: the branch was seen: the maintained ones zaqar-tempest-plugin tests.
KNOWN_STABLE_BRANCHES = {
    'stable/2026.1': 'openstack/zaqar-tempest-plugin .zuul.yaml (2026-05)',
}
#: Projects whose changes must run every job that loads the driver.
CROSS_GATED = ('openstack/oslo.messaging', 'openstack/python-zaqarclient')
#: tox envs that load the driver (jobs running them are cross-gated too).
DRIVER_TOX_ENVS = ('py3', 'local', 'faults', 'all')
#: Pipelines our project stanza may use besides check and gate.
OTHER_PIPELINES = ('periodic-weekly',)
#: The default nodeset of devstack-tempest (devstack-minimal sets it).
DEFAULT_DEVSTACK_NODESET = 'openstack-single-node-noble'
#: Files whose change must run the devstack jobs, and files that must not.
MUST_RUN = ('devstack/plugin.sh', 'devstack/settings',
            'devstack/tools/gate_helper.py', 'zuul.d/jobs.yaml',
            'playbooks/post.yaml', 'requirements.txt', 'setup.cfg',
            'zaqar_trove_tests/rpc/driver.py',
            'zaqar_trove_tests/tests/api/test_x.py',
            'zaqar_trove_tests/config.py')
MUST_SKIP = ('README.rst', 'doc/source/gate.rst', 'tox.ini',
             'zaqar_trove_tests/unit/gate/test_zuul.py',
             'test-requirements.txt')


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader for which a repeated mapping key is an error."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == 'tag:yaml.org,2002:merge':
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, 'duplicate key %r' % (key,),
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text):
    return yaml.load(text, Loader=_UniqueKeyLoader)


def merge_vars(parent, child):
    """Zuul's variable inheritance: dicts merge, the rest is replaced."""
    result = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_vars(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


class ZuulConfig:
    """Stanzas of a set of Zuul files, by type."""

    def __init__(self, documents):
        """``documents``: ``[(path, parsed YAML)]``."""
        self.problems = []
        self.jobs = {}
        self.nodesets = {}
        self.projects = []
        for path, data in documents:
            self._add(path, data)

    @classmethod
    def from_dir(cls, path):
        documents = []
        for name in sorted(os.listdir(path)):
            if name.endswith(('.yaml', '.yml')):
                with open(os.path.join(path, name)) as f:
                    documents.append((name, load_yaml(f.read())))
        return cls(documents)

    @classmethod
    def from_text(cls, text, path='snippet.yaml'):
        return cls([(path, load_yaml(text))])

    def _add(self, path, data):
        if not isinstance(data, list) or not data:
            self.problems.append('%s: not a list of stanzas' % path)
            return
        for item in data:
            if not (isinstance(item, dict) and len(item) == 1 and
                    next(iter(item)) in schemas.STANZAS):
                self.problems.append('%s: %r is not a one-key mapping of %s'
                                     % (path, item, sorted(schemas.STANZAS)))
                continue
            (kind, stanza), = item.items()
            validator = jsonschema.Draft7Validator(schemas.STANZAS[kind])
            errors = sorted(validator.iter_errors(stanza),
                            key=lambda e: list(e.absolute_path))
            name = stanza.get('name', '') if isinstance(stanza, dict) else ''
            self.problems += ['%s: %s %s: %s' % (path, kind, name, _where(e))
                              for e in errors]
            if errors:
                continue
            if kind == 'project':
                self.projects.append(stanza)
                continue
            table = self.jobs if kind == 'job' else self.nodesets
            if stanza['name'] in table:
                self.problems.append('%s: %s %s is defined twice' % (
                    path, kind, stanza['name']))
            table[stanza['name']] = stanza

    def chain(self, name):
        """``(our jobs from the root down to name, external top or None)``."""
        chain, seen = [], set()
        while name in self.jobs:
            if name in seen:
                raise ValueError('job inheritance cycle at %s' % name)
            seen.add(name)
            chain.insert(0, self.jobs[name])
            name = self.jobs[name].get('parent')
        return chain, name

    def resolved(self, name):
        """The attributes of job ``name`` after inheritance."""
        chain, _ = self.chain(name)
        result = {'vars': {}, 'group-vars': {}}
        for job in chain:
            for key, value in job.items():
                if key == 'vars':
                    result['vars'] = merge_vars(result['vars'], value)
                elif key == 'group-vars':
                    result['group-vars'] = merge_vars(
                        result['group-vars'], value)
                elif key != 'abstract':
                    result[key] = value
        result['abstract'] = self.jobs[name].get('abstract', False)
        return result

    def host_vars(self, name, group=None):
        """Variables a host of ``group`` sees.

        Ansible replaces the job's top-level variables with the group's.
        """
        job = self.resolved(name)
        return dict(job['vars'], **job['group-vars'].get(group, {}))

    def concrete(self):
        return sorted(n for n in self.jobs
                      if not self.jobs[n].get('abstract'))

    def is_devstack(self, name):
        return self.chain(name)[1] in DEVSTACK_ROOTS

    def nodeset_of(self, name):
        job = self.resolved(name)
        return job.get('nodeset', DEFAULT_DEVSTACK_NODESET
                       if self.is_devstack(name) else None)

    def groups_of(self, nodeset):
        if nodeset in self.nodesets:
            return {g['name'] for g in self.nodesets[nodeset].get(
                'groups', [])}
        return EXTERNAL_NODESETS.get(nodeset, {}).get('groups', set())

    def pipeline_jobs(self, pipeline):
        """``{job name: voting override or None}`` of a pipeline."""
        result = {}
        for project in self.projects:
            for entry in project.get(pipeline, {}).get('jobs', []):
                if isinstance(entry, str):
                    result[entry] = None
                else:
                    (name, attrs), = entry.items()
                    result[name] = (attrs or {}).get('voting')
        return result

    def voting(self, name, override=None):
        if override is not None:
            return override
        if name in self.jobs:
            return self.resolved(name).get('voting', True)
        return True


def _where(exc):
    path = '/'.join(str(p) for p in exc.absolute_path)
    return '%s: %s' % (path or '(top)', exc.message)


def reference_problems(config, repo_root=REPO_ROOT):
    """Parents, nodesets, labels, playbooks and pipelines all exist."""
    problems = list(config.problems)
    for name, job in sorted(config.jobs.items()):
        try:
            _, top = config.chain(name)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if top is not None and top not in EXTERNAL_JOBS:
            problems.append('%s: unknown parent job %s' % (name, top))
        if top is None:
            problems.append('%s: has no parent (a base job)' % name)
        nodeset = job.get('nodeset')
        if nodeset and nodeset not in config.nodesets and \
                nodeset not in EXTERNAL_NODESETS:
            problems.append('%s: unknown nodeset %s' % (name, nodeset))
        for group in job.get('group-vars', {}):
            if group not in config.groups_of(config.nodeset_of(name)):
                problems.append('%s: group-vars for %s, a group its nodeset '
                                'does not have' % (name, group))
        for key in ('pre-run', 'run', 'post-run'):
            for playbook in _as_list(job.get(key)):
                if not os.path.isfile(os.path.join(repo_root, playbook)):
                    problems.append('%s: %s playbook %s does not exist' % (
                        name, key, playbook))
    for name, nodeset in sorted(config.nodesets.items()):
        nodes = {n['name'] for n in nodeset['nodes']}
        for node in nodeset['nodes']:
            if node['label'] not in KNOWN_LABELS:
                problems.append('nodeset %s: unknown label %s' % (
                    name, node['label']))
        for group in nodeset.get('groups', []):
            for node in set(group['nodes']) - nodes:
                problems.append('nodeset %s: group %s names unknown node '
                                '%s' % (name, group['name'], node))
    problems += _pipeline_problems(config)
    problems += _variant_problems(config)
    return problems


def _variant_problems(config):
    """Stable-branch variants and cross-gated libraries."""
    problems = []
    for name in config.concrete():
        job = config.resolved(name)
        branch = job.get('override-checkout')
        if branch is not None:
            if branch not in KNOWN_STABLE_BRANCHES:
                problems.append('%s: override-checkout %s is not a '
                                'maintained stable branch we know of (%s)'
                                % (name, branch,
                                   ', '.join(sorted(KNOWN_STABLE_BRANCHES))))
            if 'nodeset' not in config.jobs[name]:
                problems.append('%s: a stable-branch variant names its '
                                'nodeset (the branch\'s tested platform)'
                                % name)
            if name in config.pipeline_jobs('gate'):
                problems.append('gate: %s is a stable-branch variant (check '
                                'only)' % name)
        loads_driver = config.is_devstack(name) or job['vars'].get(
            'tox_envlist') in DRIVER_TOX_ENVS
        if loads_driver:
            missing = set(CROSS_GATED) - set(job.get('required-projects',
                                                     []))
            for project in sorted(missing):
                problems.append('%s: %s is not a required project (its '
                                'changes would not run this job)' % (
                                    name, project))
    return problems


def _pipeline_problems(config):
    problems = []
    check, gate = config.pipeline_jobs('check'), config.pipeline_jobs('gate')
    others = [(p, config.pipeline_jobs(p)) for p in OTHER_PIPELINES]
    for pipeline, jobs in [('check', check), ('gate', gate)] + others:
        for name in jobs:
            if name not in config.jobs and name not in EXTERNAL_JOBS:
                problems.append('%s: unknown job %s' % (pipeline, name))
            elif config.jobs.get(name, {}).get('abstract'):
                problems.append('%s: job %s is abstract' % (pipeline, name))
    for name, override in gate.items():
        if name in config.jobs and not config.voting(name, override):
            problems.append('gate: job %s does not vote' % name)
        if name not in check:
            problems.append('gate: job %s is not in check' % name)
    if not any(config.voting(n, o) for n, o in gate.items()):
        problems.append('gate: no voting job')
    for name in config.concrete():
        if name not in check:
            problems.append('check: job %s is defined but never run' % name)
    return problems


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def plugin_settings(text):
    """``(name, {required plugins}, {variables})`` of devstack settings."""
    name = None
    requires = set()
    for line in text.splitlines():
        m = re.match(r'^define_plugin\s+(\S+)', line)
        if m:
            name = m.group(1)
        m = re.match(r'^plugin_requires\s+(\S+)\s+(\S+)', line)
        if m and m.group(1) == name:
            requires.add(m.group(2))
    variables = set(re.findall(r'^([A-Z][A-Z0-9_]*)=', text, re.M))
    return name, requires, variables


def plugin_order(plugins, requires):
    """``[(name, url)]`` of the ``enable_plugin`` lines Zuul writes.

    Zuul's devstack role emits plugins in name order, each after what its
    settings require; a required plugin missing from ``plugins`` breaks
    the role (a KeyError there too).
    """
    order = []
    for name in sorted(plugins):
        for dep in sorted(requires.get(name, ())) + [name]:
            if dep not in plugins:
                raise KeyError('%s requires plugin %s, which the job does '
                               'not list in devstack_plugins' % (name, dep))
            if dep not in order:
                order.append(dep)
    return [(name, plugins[name]) for name in order if plugins[name]]


def devstack_problems(config, settings_text, plugin_sh_text):
    """devstack plugins, services, variables and projects line up."""
    problems = []
    our_name, our_requires, our_vars = plugin_settings(settings_text)
    if our_name != OUR_PLUGIN:
        problems.append('devstack/settings: define_plugin %s, expected %s'
                        % (our_name, OUR_PLUGIN))
    our_services = set(re.findall(r'is_service_enabled\s+([a-z][\w-]*)',
                                  plugin_sh_text))
    for name in config.concrete():
        if not config.is_devstack(name):
            continue
        job = config.resolved(name)
        projects = {p.split('/', 1)[1] for p in job.get(
            'required-projects', [])}
        if 'tempest_concurrency' not in job['vars']:
            problems.append('%s: tempest_concurrency is not explicit' % name)
        for plugin in job['vars'].get('tempest_plugins', []):
            if plugin not in projects:
                problems.append('%s: tempest plugin %s is not a required '
                                'project' % (name, plugin))
        groups = [None] + sorted(job['group-vars'])
        for group in groups:
            hv = config.host_vars(name, group)
            where = name if group is None else '%s (%s)' % (name, group)
            problems += _host_problems(where, hv, projects, our_requires,
                                       our_vars, our_services)
    return problems


def _host_problems(where, hv, projects, our_requires, our_vars,
                   our_services):
    problems = []
    plugins = hv.get('devstack_plugins', {})
    if OUR_PLUGIN in plugins:
        try:
            order = [p for p, _ in plugin_order(
                plugins, {OUR_PLUGIN: our_requires})]
        except KeyError as exc:
            problems.append('%s: %s' % (where, exc.args[0]))
            order = []
        for dep in our_requires:
            if dep in order and OUR_PLUGIN in order and \
                    order.index(dep) > order.index(OUR_PLUGIN):
                problems.append('%s: %s would be enabled after %s' % (
                    where, dep, OUR_PLUGIN))
    for plugin, url in plugins.items():
        if url and url.rstrip('/').rsplit('/', 1)[-1] not in projects:
            problems.append('%s: plugin %s (%s) is not a required project '
                            '(devstack may not clone in the gate)' % (
                                where, plugin, url))
    for var in hv.get('devstack_localrc', {}):
        if var.startswith('ZAQAR_TROVE_') and var not in our_vars:
            problems.append('%s: %s is not a variable of devstack/settings'
                            % (where, var))
    for service, on in hv.get('devstack_services', {}).items():
        if service.startswith('ztt-') and service not in our_services:
            problems.append('%s: service %s is unknown to devstack/plugin.sh'
                            % (where, service))
    return problems


def tempest_options_in_jobs(config):
    """``{(group, option): where}`` set through devstack_local_conf."""
    found = {}
    for name in config.concrete():
        for group in [None] + sorted(config.resolved(name)['group-vars']):
            conf = config.host_vars(name, group).get('devstack_local_conf',
                                                     {})
            for section, options in conf.get('test-config', {}).get(
                    '$TEMPEST_CONFIG', {}).items():
                for option in options:
                    found[(section, option)] = 'job %s' % name
    return found


def tempest_options_in_plugin(plugin_sh_text):
    """``{(group, option): where}`` that plugin.sh writes with iniset."""
    text = plugin_sh_text.replace('\\\n', ' ')
    pattern = r'iniset\s+"?\$TEMPEST_CONFIG"?\s+([\w-]+)\s+([\w-]+)'
    return {(g, o): 'devstack/plugin.sh'
            for g, o in re.findall(pattern, text)}


def tempest_option_problems(options, known):
    """Every ``(group, option)`` of ``options`` is in ``known``."""
    return ['%s sets [%s] %s, which no installed tempest plugin or tempest '
            'itself registers' % (where, group, option)
            for (group, option), where in sorted(options.items())
            if option not in known.get(group, set())]


def regex_problems(config, repo_root=REPO_ROOT):
    """Test regexes select our tests; irrelevant-files skip only docs."""
    problems = []
    packages = _test_packages(repo_root)
    for name in config.concrete():
        job = config.resolved(name)
        regex = job['vars'].get('tempest_test_regex')
        if regex is not None:
            try:
                compiled = re.compile(regex)
            except re.error as exc:
                problems.append('%s: bad tempest_test_regex: %s' % (name, exc))
                continue
            if not any(compiled.search(p + '.test_x.T.test_y')
                       for p in packages):
                problems.append('%s: tempest_test_regex %s selects no test '
                                'package of zaqar_trove_tests' % (name, regex))
        patterns = []
        for pattern in job.get('irrelevant-files', []):
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                problems.append('%s: bad irrelevant-files regex %s: %s' % (
                    name, pattern, exc))
        if not patterns or not config.is_devstack(name):
            continue
        for path in MUST_RUN:
            if any(p.search(path) for p in patterns):
                problems.append('%s: a change to %s would not run it' % (
                    name, path))
        for path in MUST_SKIP:
            if not any(p.search(path) for p in patterns):
                problems.append('%s: a change to %s alone would run it' % (
                    name, path))
    return problems


def _test_packages(repo_root):
    base = os.path.join(repo_root, 'zaqar_trove_tests', 'tests')
    packages = []
    for dirpath, _, files in os.walk(base):
        if '__init__.py' in files:
            rel = os.path.relpath(dirpath, repo_root)
            packages.append(rel.replace(os.sep, '.'))
    return packages
