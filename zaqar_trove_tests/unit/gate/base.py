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

"""Shared pieces of the gate tests: paths, tools, the driver's URL parser."""

import importlib.util
import os
import shutil
import subprocess
import sys

import testtools

from zaqar_trove_tests.unit.gate import gate_config

REPO = gate_config.REPO_ROOT
HERE = os.path.dirname(os.path.abspath(__file__))


def repo_path(*parts):
    return os.path.join(REPO, *parts)


def read(*parts):
    with open(repo_path(*parts)) as f:
        return f.read()


def tool(name):
    """A command installed beside this interpreter, or on PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.access(local, os.X_OK) else shutil.which(name)


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          **kwargs)


def load_gate_helper():
    """devstack/tools/gate_helper.py as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location(
        'ztt_gate_helper', repo_path('devstack', 'tools', 'gate_helper.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_transport_url(url):
    """The zaqar:// driver's own reading of ``url`` (its Settings)."""
    from oslo_config import cfg
    import oslo_messaging

    from zaqar_trove_tests.rpc import options
    from zaqar_trove_tests.rpc import settings
    conf = cfg.ConfigOpts()
    options.register_opts(conf)
    return settings.from_url(conf, oslo_messaging.TransportURL.parse(
        conf, url))


class GateTestCase(testtools.TestCase):

    def require_tool(self, name, package):
        path = tool(name)
        if not path:
            self.skipTest('%s is not installed (pip install %s)' % (
                name, package))
        return path

    def require_driver(self):
        try:
            from zaqar_trove_tests.rpc import settings  # noqa: F401
        except ImportError as exc:
            self.skipTest('the zaqar:// driver is not importable: %s' % exc)
