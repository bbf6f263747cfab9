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

"""A throw-away stack directory whose services are tiny real programs."""

import os
import sys

import fixtures
import testtools

from zaqar_trove_tests.stack import control
from zaqar_trove_tests.stack import ports

#: Listens on argv[1] and forks a child (to prove whole groups stop);
#: with argv[2] == 'stubborn' it ignores SIGTERM.
SERVER = '''
import signal, socket, subprocess, sys
if sys.argv[2:] == ['stubborn']:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(['sleep', '300'])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen()
print('listening', flush=True)
signal.pause()
'''


class StackTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.stack = control.Stack(self.dir)

    def spec(self, name, argv, port=None, ready_timeout=10, stop_timeout=5):
        port = port or ports.choose([name])[name]
        return {'name': name, 'argv': argv, 'env': {}, 'cwd': self.dir,
                'log': os.path.join(self.dir, 'logs', name + '.log'),
                'ports': {'main': port}, 'probe': {'type': 'tcp'},
                'ready_timeout': ready_timeout, 'stop_timeout': stop_timeout}

    def server(self, name='server', *extra, **kw):
        port = ports.choose([name])[name]
        return self.spec(name, [sys.executable, '-c', SERVER, str(port)]
                         + list(extra), port=port, **kw)

    def record(self, *specs, phase='up'):
        """Write a state file holding specs; return their services."""
        self.stack.write_state({
            'phase': phase, 'order': [s['name'] for s in specs],
            'services': {s['name']: {'spec': s} for s in specs}})
        self.addCleanup(self.stack.down)
        return [self.stack.service(s['name']) for s in specs]
