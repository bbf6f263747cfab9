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


"""An RPC server in a child process that can crash in mid-dispatch.

``CrashingServer`` is an ``rpc_process.ServerProcess`` (same protocol:
``READY``, ``BEGIN <method> <value>`` lines, ``wait_for``, ``kill``)
whose endpoint also has ``crash(value)``: it prints ``BEGIN crash
<value>`` and SIGKILLs its own process, so the crash falls exactly inside
the dispatch of that request -- no race with whatever the driver does
right after handing a request to the dispatcher. ``work`` announces
itself too, as in ``rpc_process``.
"""

import os
import signal
import subprocess
import sys
import threading

from zaqar_trove_tests.common import rpc_process

_URL_ENV = 'ZTT_FAULT_PROCESS_URL'


class CrashingServer(rpc_process.ServerProcess):
    """A server of ``topic``/``server`` in a child that may crash."""

    def _setUp(self):
        env = dict(os.environ, **{_URL_ENV: self.url})
        self.process = subprocess.Popen(
            [sys.executable, '-m', __name__, self.topic, self.server],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, text=True)
        self.addCleanup(self.kill)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for('READY', self.ready_timeout)


def _main(topic, server):
    from oslo_config import cfg
    import oslo_messaging as om

    from zaqar_trove_tests.common import rpc_endpoints

    class Crashing(rpc_endpoints.Recorder):
        def work(self, ctxt, value, seconds):
            print('BEGIN work %s' % value, flush=True)
            return super().work(ctxt, value, seconds)

        def crash(self, ctxt, value):
            print('BEGIN crash %s' % value, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    cfg.CONF([], project='zaqar-trove-tests-fault-process')
    transport = om.get_rpc_transport(cfg.CONF, url=os.environ[_URL_ENV])
    rpc_server = om.get_rpc_server(
        transport, om.Target(topic=topic, server=server),
        [Crashing(server)], executor='threading')
    rpc_server.start()
    print('READY', flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == '__main__':
    _main(*sys.argv[1:3])
