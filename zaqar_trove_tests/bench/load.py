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


"""Closed-loop load: N threads call a function back to back for a while.

Each caller thread repeats ``call(i)`` until the duration is over and
records each call's latency; an exception counts as an error (its type
is kept) and the caller goes on. ``calls_per_s`` counts successful calls
over the whole run, from the common start to the end of the last call.
"""

import collections
import threading
import time

from zaqar_trove_tests.bench import stats


def run(call, callers, duration, max_calls=None):
    """Run ``callers`` threads for ``duration`` seconds.

    :param call: ``call(i)`` where ``i`` is a run-wide sequence number.
    :param max_calls: stop earlier once this many calls were started.
    :returns: ``{callers, calls, errors, error_types, wall_s,
        calls_per_s, latency_ms: summary, samples_ms}``.
    """
    lock = threading.Lock()
    samples = []
    errors = collections.Counter()
    sequence = iter(range(max_calls or 2 ** 62))
    barrier = threading.Barrier(callers + 1)
    stop_at = [0.0]

    def next_number():
        with lock:
            return next(sequence, None)

    def caller():
        mine = []
        barrier.wait()
        while time.monotonic() < stop_at[0]:
            number = next_number()
            if number is None:
                break
            started = time.perf_counter()
            try:
                call(number)
            except Exception as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                continue
            mine.append((time.perf_counter() - started) * 1000.0)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=caller, daemon=True,
                                name='bench-caller-%d' % i)
               for i in range(callers)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + duration
    started = time.monotonic()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return {'callers': callers, 'calls': len(samples),
            'errors': sum(errors.values()), 'error_types': dict(errors),
            'wall_s': wall, 'calls_per_s': stats.rate(len(samples), wall),
            'latency_ms': stats.summary(samples), 'samples_ms': samples}


def sequential(call, count):
    """``count`` calls one after the other: latencies in ms."""
    out = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - started) * 1000.0)
    return out


def merge(results):
    """One ``run`` result out of several runs of the same cell."""
    samples = [x for r in results for x in r['samples_ms']]
    calls = sum(r['calls'] for r in results)
    wall = sum(r['wall_s'] for r in results)
    errors = collections.Counter()
    for r in results:
        errors.update(r['error_types'])
    return {'callers': results[0]['callers'], 'calls': calls,
            'errors': sum(errors.values()), 'error_types': dict(errors),
            'wall_s': wall, 'calls_per_s': stats.rate(calls, wall),
            'latency_ms': stats.summary(samples), 'samples_ms': samples}
