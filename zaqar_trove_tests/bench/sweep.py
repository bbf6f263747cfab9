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


"""Zaqar API deployment sweep: gunicorn workers x threads.

Only on a stack the benchmark started itself: the ``zaqar`` service is
restarted with each setting (its recorded command is edited), measured
(floor call and push call, 1 and 8 callers), in turns over a few rounds,
and finally restored.
"""

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import load
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import spawn

SETTINGS = ((1, 8), (2, 4), (3, 4), (4, 2))


def _argv_with(argv, workers, threads):
    out = list(argv)
    out[out.index('--workers') + 1] = str(workers)
    out[out.index('--threads') + 1] = str(threads)
    return out


def configure(stack, workers, threads):
    """Restart the stack's Zaqar API with ``workers`` x ``threads``."""
    with stack.lock('bench: zaqar workers x threads', timeout=60):
        data = stack.state()
        spec = data['services']['zaqar']['spec']
        spec['argv'] = _argv_with(spec['argv'], workers, threads)
        stack.write_state(data)
    stack.service('zaqar').restart()


def current(stack):
    argv = stack.service('zaqar').spec['argv']
    return (int(argv[argv.index('--workers') + 1]),
            int(argv[argv.index('--threads') + 1]))


def _one(target, log_dir, duration):
    """Floor and push calls at 1 and 8 callers on the current setting."""
    out = {}
    ping = floor.PingPong(target, log_dir)
    try:
        for callers in (1, 8):
            out['floor_%d' % callers] = load.run(ping.call, callers,
                                                 duration)
    finally:
        ping.close()
    url = target.url('push')
    workers = rpcbench.servers(url, 'bench-sweep', 1, log_dir)
    client = rpcbench.Client(url, 'bench-sweep')
    try:
        client.call(0)
        for callers in (1, 8):
            out['push_%d' % callers] = load.run(client.call, callers,
                                                duration)
    finally:
        client.close()
        spawn.stop_all(workers)
    return out


def measure(target, log_dir, duration, settings=SETTINGS, rounds=2,
            echo=print):
    """Each setting in turn, ``rounds`` times (load changes hit all).

    :returns: ``[{workers, threads, floor_1, floor_8, push_1, push_8}]``,
        each cell merged over the rounds (``load.merge``).
    """
    stack = target.stack
    original = current(stack)
    parts = {setting: [] for setting in settings}
    try:
        for _ in range(rounds):
            for workers, threads in settings:
                configure(stack, workers, threads)
                parts[(workers, threads)].append(
                    _one(target, log_dir, duration / float(rounds)))
    finally:
        configure(stack, *original)
    out = []
    for (workers, threads), runs in parts.items():
        row = {'workers': workers, 'threads': threads}
        for key in ('floor_1', 'floor_8', 'push_1', 'push_8'):
            row[key] = load.merge([run[key] for run in runs])
            row[key].pop('samples_ms')
        echo('  %d x %d: floor p50 %.1f ms, %.0f calls/s at 8; push p50 '
             '%.1f ms, %.0f calls/s at 8' % (
                 workers, threads, row['floor_1']['latency_ms']['p50'],
                 row['floor_8']['calls_per_s'],
                 row['push_1']['latency_ms']['p50'],
                 row['push_8']['calls_per_s']))
        out.append(row)
    return out
