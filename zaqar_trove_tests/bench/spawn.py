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


"""Start ``worker`` processes and talk to them (JSON lines)."""

import json
import os
import select
import subprocess
import sys
import time


class WorkerFailed(Exception):
    """A worker exited, or did not answer in time."""


class Worker:
    """A running ``zaqar_trove_tests.bench.worker`` process."""

    def __init__(self, spec, log_path):
        self.log_path = log_path
        self.ready = None
        self._log = open(log_path, 'ab')
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'zaqar_trove_tests.bench.worker'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, env=dict(os.environ, PYTHONUNBUFFERED='1'))
        self._send(spec)

    def wait_ready(self, timeout=300):
        """Wait for ``{"ready": ...}``; return it."""
        self.ready = self._receive(timeout)
        if not self.ready.get('ready'):
            raise WorkerFailed('worker not ready: %s' % self.ready)
        return self.ready

    @property
    def pid(self):
        return self.proc.pid

    def _send(self, doc):
        self.proc.stdin.write((json.dumps(doc) + '\n').encode())
        self.proc.stdin.flush()

    def _receive(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self.proc.stdout], [], [],
                                           max(0, left))
            if readable:
                line = self.proc.stdout.readline()
                if line:
                    return json.loads(line)
            if not readable or self.proc.poll() is not None:
                raise WorkerFailed('worker %d %s; see %s' % (
                    self.pid, 'exited' if self.proc.poll() is not None
                    else 'did not answer within %d s' % timeout,
                    self.log_path))

    def stats(self, timeout=60):
        self._send({'cmd': 'stats'})
        return self._receive(timeout)

    def wait_count(self, name, count, timeout):
        """Wait until the worker counted ``count`` of ``name``.

        :returns: ``{"count": n, "at": monotonic time it got there}`` (the
            worker's clock is this machine's monotonic clock).
        """
        self._send({'cmd': 'wait', 'name': name, 'count': count,
                    'timeout': timeout})
        return self._receive(timeout + 30)

    def stop(self, timeout=120):
        """Ask it to stop (servers cleaned up); kill it if it hangs."""
        if self.proc.poll() is None:
            try:
                self._send({'cmd': 'stop'})
                self.proc.stdin.close()
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def start_all(specs, log_path, ready_timeout=300):
    """Start one worker per spec, all at once; stop all if one fails."""
    started = []
    try:
        for spec in specs:
            started.append(Worker(spec, log_path))
        for worker in started:
            worker.wait_ready(ready_timeout)
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(workers):
    for worker in workers:
        worker.stop()
