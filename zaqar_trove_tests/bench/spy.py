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


"""The ``profile`` stage: py-spy on Zaqar under the floor call.

One ``py-spy record`` per process, all started together, while callers
make floor calls (``floor.PingPong``) for the same seconds, sampling only
the thread holding the GIL (``--gil``: Python's CPU; a thread blocked in a
socket read or waiting for the GIL is not a cost of the process): every
gunicorn worker of the Zaqar API (the members of its process group
whose parent is a member: the master's children) and every process of
the websocket server. The raw files stay in the run's log directory;
``profile.summarize`` sums them per kind.
"""

import math
import os
import shutil
import subprocess
import sys

import psutil

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import load
from zaqar_trove_tests.bench import profile

#: py-spy's samples per second (its default).
RATE = 100


def py_spy():
    """The py-spy executable; a clear error if it is not installed."""
    found = shutil.which('py-spy') or os.path.join(
        os.path.dirname(sys.executable), 'py-spy')
    if not os.access(found, os.X_OK):
        raise RuntimeError('the profile stage needs py-spy: pip install -r '
                           'bench-requirements.txt (or pip install py-spy)')
    return found


def _parents(pids):
    out = {}
    for pid in pids:
        try:
            out[pid] = psutil.Process(pid).ppid()
        except psutil.NoSuchProcess:
            continue
    return out


def processes(target):
    """``{kind: pids}``: the API's gunicorn workers, the ws server."""
    return {'api': profile.gunicorn_workers(_parents(target.pids('zaqar'))),
            'websocket': target.pids('zaqar-websocket')}


def _record(spy, pid, seconds, path):
    log = open(path + '.log', 'w')
    with log:
        return subprocess.Popen(
            [spy, 'record', '-p', str(pid), '-d', str(seconds),
             '-r', str(RATE), '-f', 'raw', '-o', path, '--nonblocking',
             '--gil', '--full-filenames'],
            stdout=log, stderr=subprocess.STDOUT)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ''


def measure(target, log_dir, seconds=20.0, callers=8, top=15, echo=print):
    """Profile Zaqar for ``seconds`` under ``callers`` floor callers.

    :returns: ``{seconds, callers, rate, calls, messages (2 posts a
        call), errors, kinds: {api|websocket: profile.summarize + pids}}``.
    """
    spy = py_spy()
    seconds = int(math.ceil(seconds))
    system = floor.PingPong(target, log_dir)
    running = []
    try:
        for i in range(10):
            system.call(i)
        kinds = processes(target)
        missing = [kind for kind, pids in kinds.items() if not pids]
        if missing:
            raise RuntimeError('no live process to profile: %s' %
                               ', '.join(missing))
        for kind, pids in kinds.items():
            for pid in pids:
                path = os.path.join(log_dir, 'py-spy-%s-%d.txt' % (kind,
                                                                   pid))
                running.append((kind, pid, path,
                                _record(spy, pid, seconds, path)))
        result = load.run(system.call, callers, seconds)
        failed = []
        for kind, pid, path, proc in running:
            if proc.wait(seconds + 60) != 0:
                failed.append('%s pid %d: exit %s, see %s.log' % (
                    kind, pid, proc.returncode, path))
        if failed:
            raise RuntimeError('py-spy failed: ' + '; '.join(failed))
    finally:
        for _, _, _, proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        system.close()
    messages = 2 * result['calls']
    out = {'seconds': seconds, 'callers': callers, 'rate': RATE, 'gil': True,
           'calls': result['calls'], 'messages': messages,
           'calls_per_s': result['calls_per_s'], 'errors': result['errors'],
           'kinds': {}}
    for kind, pids in kinds.items():
        samples = [s for kind_, _, path, _ in running if kind_ == kind
                   for s in profile.parse(_read(path))]
        out['kinds'][kind] = dict(profile.summarize(
            samples, top, RATE, messages), pids=pids)
        echo('  %s (%d processes): %d busy samples, %s' % (
            kind, len(pids), out['kinds'][kind]['busy'], ', '.join(
                '%s %.0f %%' % (g['name'], 100 * g['share'])
                for g in out['kinds'][kind]['groups'] if g['share'])))
    return out
