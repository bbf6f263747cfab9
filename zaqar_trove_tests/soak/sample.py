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

"""The soak's minute samples: latency, Redis, Zaqar's queues, processes."""

import subprocess
import sys
import time

import redis

from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import stats
from zaqar_trove_tests.bench import target as bench_target
from zaqar_trove_tests.stack import configs

SERVICES = ('zaqar', 'zaqar-websocket', 'redis')


def queue_count(http):
    """Queues of the project ``http`` is authenticated for."""
    count, marker = 0, ''
    while True:
        _, data = http.request('GET', '/v2/queues?limit=20%s' % (
            '&marker=' + marker if marker else ''))
        names = [q['name'] for q in (data or {}).get('queues', [])]
        if not names:
            return count
        count += len(names)
        marker = names[-1]


def collect_garbage(stack):
    """Zaqar's GC on the stack (``stack.zaqar_gc``); seconds it took."""
    started = time.monotonic()
    subprocess.run([sys.executable, '-m', 'zaqar_trove_tests.stack.zaqar_gc',
                    '--config-file', stack.paths.zaqar_conf, '--config-dir',
                    stack.paths.empty_conf_dir], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def take(stack, system, since, now, started):
    """One sample: calls that ended in ``[since, now)``, the rest now."""
    calls = [r for r in system.calls.results() if since <= r.ended < now]
    durations = [1000.0 * (r.ended - r.started) for r in calls
                 if r.outcome == 'ok']
    summary = stats.summary(durations)
    target = bench_target.Target(stack)
    memory = redis.Redis(configs.HOST, stack.settings['ports']['redis'])
    guests = system.guests.command('stats')
    gc_s = collect_garbage(stack)
    return {
        'zaqar_gc_s': round(gc_s, 2),
        't_s': round(now - started, 1),
        'calls': len(calls),
        'calls_failed': len([r for r in calls if r.outcome != 'ok']),
        'call_p50_ms': summary.get('p50'), 'call_p99_ms': summary.get('p99'),
        'redis_memory': memory.info('memory')['used_memory'],
        'redis_keys': memory.dbsize(),
        'queues': queue_count(target.http()),
        'guests': guests['guests'],
        'driver_rss': guests['rss'], 'driver_threads': guests['threads'],
        'driver_fds': guests['fds'],
        'services_rss': {name: machine.rss_bytes(target.pids(name))
                         for name in SERVICES},
    }
