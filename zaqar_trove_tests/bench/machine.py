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


"""The machine a run measured on, and CPU/memory of process groups.

CPU is read from ``/proc`` through psutil as user+system seconds, so a
window's share of one core is ``cpu_seconds / wall_seconds`` (1.0 is
one core busy).
"""

import os
import platform
import time

import psutil


def describe():
    """Cores, load, memory, CPU model, Python and the kernel."""
    model = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()
    return {'cores': os.cpu_count(), 'cpu_model': model,
            'load_1_5_15': [round(x, 2) for x in load],
            'memory_gb': round(psutil.virtual_memory().total / 2 ** 30, 1),
            'python': platform.python_version(),
            'kernel': platform.release(),
            'time': time.strftime('%Y-%m-%d %H:%M:%S %z')}


def cpu_seconds(pids):
    """User+system CPU seconds of ``pids`` (vanished ones count 0)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def rss_bytes(pids):
    """Resident memory of ``pids`` (vanished ones count 0)."""
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def group(pid):
    """``pid`` and its descendants."""
    try:
        proc = psutil.Process(pid)
        return [pid] + [c.pid for c in proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class CpuMeter:
    """CPU share of named process sets over a window.

    ``sources`` maps a name to a callable returning the pids to count
    (re-evaluated at ``start`` and ``stop``, so workers that fork late are
    included; a process that exits during the window loses its share).
    """

    def __init__(self, sources):
        self._sources = sources
        self._start = None
        self._wall = None

    def start(self):
        self._wall = time.monotonic()
        self._start = {name: self._sample(get)
                       for name, get in self._sources.items()}
        return self

    @staticmethod
    def _sample(get):
        return {pid: cpu_seconds([pid]) for pid in get()}

    def stop(self):
        """``{name: share of one core}`` plus ``wall_s``."""
        wall = time.monotonic() - self._wall
        out = {'wall_s': wall}
        for name, get in self._sources.items():
            before = self._start[name]
            now = self._sample(get)
            used = sum(now[pid] - before.get(pid, 0.0) for pid in now)
            out[name] = used / wall if wall > 0 else 0.0
        return out
