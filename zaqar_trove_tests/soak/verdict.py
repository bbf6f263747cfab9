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

"""The soak's verdicts (pure): the accounting, then last minutes vs first.

The run is judged after its warm-up (every guest's executor and
connections filled, the first messages' queues made): a window is the
first or the last ``min(10 min, a third of the judged run)``.
Latency compares the p50 of every successful call that ended in each
window; the other figures the mean of the window's samples.
"""

from zaqar_trove_tests.bench import stats

#: name -> (sample field or None, the largest last/first ratio allowed).
TRENDS = {
    'call p50': (None, 1.15),
    'Redis memory': ('redis_memory', 1.05),
    'Zaqar queues': ('queues', 1.05),
    'driver RSS': ('driver_rss', 1.05),
    'driver threads': ('driver_threads', 1.05),
    'driver fds': ('driver_fds', 1.05),
}
WINDOW_S = 600


def window(run_s):
    """Seconds in each compared window."""
    return min(WINDOW_S, run_s / 3.0)


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _p50(calls):
    return stats.summary([c['ms'] for c in calls if c['ok']])['p50']


def trends(samples, calls, run_s, warmup_s=0.0):
    """``[{name, first, last, ratio, limit, ok}]``.

    :param samples: minute samples (``t_s`` from the load's start).
    :param calls: ``[{'end_s', 'ms', 'ok'}]``, every call.
    :param run_s: seconds of load, warm-up included.
    :param warmup_s: the first seconds, judged by nothing.
    """
    span = window(run_s - warmup_s)
    first = lambda t: warmup_s < t <= warmup_s + span  # noqa: E731
    last = lambda t: t > run_s - span  # noqa: E731
    verdicts = []
    for name, (field, limit) in TRENDS.items():
        if field is None:
            before = _p50([c for c in calls if first(c['end_s'])])
            after = _p50([c for c in calls if last(c['end_s'])])
        else:
            before = _mean([s[field] for s in samples if first(s['t_s'])])
            after = _mean([s[field] for s in samples if last(s['t_s'])])
        ratio = stats.ratio(after, before)
        verdicts.append({'name': name, 'first': before, 'last': after,
                         'ratio': ratio, 'limit': limit,
                         'ok': ratio is not None and ratio <= limit})
    return verdicts


def accounting(summary, call_outcomes, duplicated, strays):
    """``[{name, measured, ok}]``: nothing acknowledged lost or run twice.

    :param summary: ``Ledger.summary()`` (casts, heartbeats, notifications).
    :param call_outcomes: ``{outcome: count}`` of the calls.
    """
    unanswered = sum(n for outcome, n in call_outcomes.items()
                     if outcome != 'ok')
    return [
        {'name': 'acknowledged casts lost', 'measured': summary['lost'],
         'ok': summary['lost'] == 0},
        {'name': 'requests run twice', 'measured': len(duplicated),
         'ok': not duplicated},
        {'name': 'requests run, never sent', 'measured': len(strays),
         'ok': not strays},
        {'name': 'calls answered wrongly', 'measured':
         call_outcomes.get('wrong', 0), 'ok': not call_outcomes.get('wrong')},
        {'name': 'calls unanswered (reported)', 'measured': unanswered,
         'ok': None},
    ]
