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

"""The house rules: every module says what it is for; imports go down.

Pure: the sources are read with ``ast``, nothing they hold is imported.
``FLOORS`` is the rule the package docstrings state in words and
README.rst's Layout draws: what each part of the package may import of
the rest (and whether tempest). A part imports itself freely; the unit
and functional tests import anything and only the functional tests
import the unit tests' fakes. Imports inside
functions count as much as those at the top. ``test_layering`` in
``unit/rpc`` checks the driver's own rule more closely.
"""

import ast
import os

import testtools

import zaqar_trove_tests

PACKAGE = zaqar_trove_tests.__name__
ROOT = os.path.dirname(zaqar_trove_tests.__file__)
LICENCE = '# Licensed under the Apache License, Version 2.0'

#: Part of the package -> the parts it may import ('' is the package's
#: own __init__; 'tempest' is tempest and tempest.lib). The longest
#: matching name decides: 'common.rpc' is not 'common'.
FLOORS = {
    '': set(),
    'rpc': set(),
    'api_schema': set(),
    'config': set(),
    'opts': {'config'},
    'plugin': {'config', 'tempest'},
    'services': {'api_schema', 'tempest'},
    'guest': {'rpc'},
    'common': {'rpc', 'services', 'tempest'},
    'common.rpc': {'common', 'rpc', 'services', 'tempest'},
    'common.faults': {'common', 'common.rpc', 'rpc', 'tempest'},
    'stack': {'common', 'tempest'},
    'bench': {'rpc', 'stack', 'tempest'},
    'soak': {'bench', 'common.faults', 'stack'},
    'conformance': {'bench', 'rpc', 'stack'},
    'tests': {'api_schema', 'common', 'common.rpc', 'common.faults',
              'config', 'guest', 'rpc', 'services', 'stack', 'tempest'},
    'unit': None,  # anything
    'functional': None,  # anything
}


def modules():
    """``{dotted name: path}`` of every Python file of the package."""
    found = {}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            parts = [PACKAGE] + os.path.relpath(path, ROOT)[:-3].split(os.sep)
            if parts[-1] == '__init__':
                parts.pop()
            found['.'.join(parts)] = path
    return found


def imported(module, source, is_package=False):
    """Dotted names ``module``'s source imports, in any scope.

    ``from a import b`` yields ``a.b`` (b may be a module or a name in
    a); relative imports are resolved.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = module.split('.')
                anchor = anchor[:len(anchor) - node.level + is_package]
                base = '.'.join(anchor + ([base] if base else []))
            for alias in node.names:
                yield '%s.%s' % (base, alias.name)


def floor(name):
    """The part of the package (a key of FLOORS) name belongs to.

    ``'tempest'`` for tempest, None for what is neither.
    """
    if name == 'tempest' or name.startswith('tempest.'):
        return 'tempest'
    if name != PACKAGE and not name.startswith(PACKAGE + '.'):
        return None
    rel = name[len(PACKAGE) + 1:]
    keys = [k for k in FLOORS if k and (rel == k or rel.startswith(k + '.'))]
    return max(keys, key=len) if keys else ('' if not rel else '?')


def breaches(module, source, is_package=False):
    """What ``module``'s imports break of FLOORS, one line each."""
    own = floor(module)
    allowed = FLOORS.get(own, set())
    out = []
    for name in imported(module, source, is_package):
        target = floor(name)
        if target is None or target == own or allowed is None:
            continue
        if target not in allowed:
            out.append('%s imports %s: %s may import only %s' % (
                module, name, own or PACKAGE,
                ', '.join(sorted(allowed)) or 'itself'))
    return out


def module_graph(sources):
    """``{module: modules of the package it imports}``.

    :param sources: ``{module: (source, is_package)}``.
    """
    graph = {}
    for module, (source, is_package) in sources.items():
        edges = set()
        for name in imported(module, source, is_package):
            while name and name not in sources:
                name = name.rpartition('.')[0]
            if name and name != module:
                edges.add(name)
        graph[module] = edges
    return graph


def circles(graph):
    """Strongly connected sets of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _read(path):
    with open(path) as f:
        return f.read()


class TestHouse(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.paths = modules()
        self.sources = {
            module: (_read(path), path.endswith('__init__.py'))
            for module, path in self.paths.items()}

    def test_every_module_says_what_it_is_for(self):
        missing = [self.paths[m] for m, (source, _) in
                   sorted(self.sources.items())
                   if not ast.get_docstring(ast.parse(source))]
        self.assertEqual([], missing, 'modules without a docstring')

    def test_every_module_starts_with_the_licence(self):
        missing = [self.paths[m] for m, (source, _) in
                   sorted(self.sources.items())
                   if not source.startswith(LICENCE)]
        self.assertEqual([], missing, 'modules without the Apache header')

    def test_every_module_belongs_to_a_floor(self):
        self.assertEqual([], [m for m in sorted(self.sources)
                              if floor(m) not in FLOORS])

    def test_floors_import_only_what_they_may(self):
        found = []
        for module, (source, is_package) in sorted(self.sources.items()):
            found += breaches(module, source, is_package)
        self.assertEqual([], found)

    def test_no_import_circles(self):
        self.assertEqual([], circles(module_graph(self.sources)))

    def test_the_floors_name_only_floors(self):
        for part, allowed in FLOORS.items():
            self.assertTrue(allowed is None or allowed <= set(FLOORS) | {
                'tempest'}, part)

    # The checks above pass on nothing, too: prove that they see.

    def test_a_breach_is_named(self):
        self.assertEqual(
            ['zaqar_trove_tests.services.auth imports '
             'zaqar_trove_tests.tests.api.base: services may import only '
             'api_schema, tempest'],
            breaches('zaqar_trove_tests.services.auth',
                     'def f():\n'
                     '    from zaqar_trove_tests.tests.api import base\n'))
        self.assertEqual(1, len(breaches(
            'zaqar_trove_tests.rpc.driver', 'from tempest import config')))
        self.assertEqual(1, len(breaches(
            'zaqar_trove_tests.common.rpc.urls',
            'from zaqar_trove_tests.common.faults import ledgers')))
        self.assertEqual([], breaches(
            'zaqar_trove_tests.common.faults.identity',
            'from zaqar_trove_tests.common.rpc import urls'))
        self.assertEqual(1, len(breaches(
            'zaqar_trove_tests.stack.control',
            'from ..tests import base', is_package=False)))

    def test_a_circle_is_found(self):
        sources = {'p.a': ('from p import b', False),
                   'p.b': ('def f():\n    import p.a\n', False),
                   'p.c': ('from p.a import name', False)}
        self.assertEqual([['p.a', 'p.b']], circles(module_graph(sources)))

    def test_the_scan_sees_the_tree(self):
        graph = module_graph(self.sources)
        self.assertIn('zaqar_trove_tests.stack.control',
                      graph['zaqar_trove_tests.stack.bringup'])
        self.assertIn('zaqar_trove_tests.common.rpc.urls',
                      graph['zaqar_trove_tests.common.faults.identity'])
        self.assertGreater(len(self.sources), 150)
