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


"""An RPC server in a child process, for tests that kill a server.

``ServerProcess`` starts ``python -m zaqar_trove_tests.common.rpc.process``
serving an ``endpoints.Recorder`` on ``topic``/``server``. The child
reads the transport URL from its environment (never its command line),
prints ``READY`` once serving and ``BEGIN <method> <value>`` when
``echo``, ``work`` or ``crash`` starts, and exits by itself when its
stdin closes (the test process ended) or on SIGTERM. ``kill()`` is
SIGKILL: no reply, no cleanup, no further heartbeat, as a crashed
server; the endpoint's ``crash`` method makes the child SIGKILL itself
inside a dispatch. ``clock`` (e.g. ``'+1h'``) runs the child under
libfaketime (preloaded): its wall clock is that far off, as a guest's clock
may be.
"""

import glob
import os
import signal
import subprocess
import sys
import tempfile
import threading

import fixtures

from zaqar_trove_tests.common import waiters

_URL_ENV = 'ZTT_RPC_PROCESS_URL'


def _libfaketime():
    """The path of Debian's multithreaded libfaketime (bindep: faketime)."""
    found = sorted(glob.glob('/usr/lib/*/faketime/libfaketimeMT.so.1') +
                   glob.glob('/usr/lib/faketime/libfaketimeMT.so.1'))
    if not found:
        raise RuntimeError('libfaketimeMT.so.1 not found: apt-get install '
                           'faketime (bindep.txt)')
    return found[0]


class ServerProcess(fixtures.Fixture):
    """A Recorder server of ``topic`` (and ``server``) in a process.

    :param clock: a ``faketime`` offset of the child's wall clock.
    """

    def __init__(self, url, topic, server, ready_timeout=60, clock=None):
        super().__init__()
        self.clock = clock
        self.url = url
        self.topic = topic
        self.server = server
        self.ready_timeout = ready_timeout
        self.lines = []
        self._lock = threading.Lock()

    def _setUp(self):
        env = dict(os.environ, **{_URL_ENV: self.url})
        self._stderr = tempfile.TemporaryFile()
        self.addCleanup(self._stderr.close)
        if self.clock:
            # libfaketime (Debian's faketime) shifts the wall clock only:
            # a VM's clock is off, its monotonic clock still runs (timed
            # waits hang with a shifted monotonic clock). Preloaded
            # directly: the faketime wrapper makes a shared-memory segment
            # named by its pid and leaves it when killed, so a later
            # wrapper with that pid fails to start (exit 1).
            env.update(LD_PRELOAD=_libfaketime(), FAKETIME=self.clock,
                       FAKETIME_DONT_FAKE_MONOTONIC='1')
        self.process = subprocess.Popen(
            [sys.executable, '-m', __name__, self.topic, self.server],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, env=env, text=True)
        self.addCleanup(self.kill)
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        self.wait_for('READY', self.ready_timeout)

    def _read(self):
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line.strip())

    def wait_for(self, line, timeout):
        """Wait until the child printed ``line``."""
        waiters.wait_until(
            lambda: line in self.lines or self.process.poll() is not None,
            timeout, what='%r from the server process' % line)
        if line not in self.lines:
            self._stderr.seek(0)
            tail = self._stderr.read().decode('utf-8', 'replace')[-2000:]
            raise AssertionError('server process exited (%s) before %r; '
                                 'its stderr ends: %s' % (
                                     self.process.returncode, line, tail))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


def _main(topic, server):
    from oslo_config import cfg
    import oslo_messaging as om

    from zaqar_trove_tests.common.rpc import endpoints

    class Announcing(endpoints.Recorder):
        def echo(self, ctxt, value):
            print('BEGIN echo %s' % value, flush=True)
            return super().echo(ctxt, value)

        def work(self, ctxt, value, seconds):
            print('BEGIN work %s' % value, flush=True)
            return super().work(ctxt, value, seconds)

        def crash(self, ctxt, value):
            print('BEGIN crash %s' % value, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    cfg.CONF([], project='zaqar-trove-tests-rpc-process')
    transport = om.get_rpc_transport(cfg.CONF, url=os.environ[_URL_ENV])
    rpc_server = om.get_rpc_server(
        transport, om.Target(topic=topic, server=server),
        [Announcing(server)], executor='threading')
    rpc_server.start()
    print('READY', flush=True)
    sys.stdin.read()
    rpc_server.stop()
    rpc_server.wait()
    transport.cleanup()
    os._exit(0)


if __name__ == '__main__':
    _main(*sys.argv[1:3])
