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


"""The issue's targets, judged from one run's results (pure functions).

Each verdict is ``{name, target, measured, ok}``: ``ok`` is True, False,
or None when the run did not measure it.
"""

from zaqar_trove_tests.bench import stats

CALL_RATIO = 1.25
THROUGHPUT_RATIO = 0.8
IDLE_GUESTS = 1000
IDLE_CPU = 0.05
IDLE_LATENCY_RATIO = 1.5
SUITE_WARM_S = 180


def cell(cells, transport=None, servers=1, callers=1):
    """The first cell matching, or None."""
    for item in cells or ():
        if ((transport is None or item.get('transport') == transport) and
                item.get('servers', 1) == servers and
                item.get('callers') == callers):
            return item
    return None


def _p50(item):
    return (item or {}).get('latency_ms', {}).get('p50')


def _fmt(value, unit='', digits=2):
    if value is None:
        return 'not measured'
    return ('%.' + str(digits) + 'f%s') % (value, unit)


def _verdict(name, target, measured, ok):
    return {'name': name, 'target': target, 'measured': measured,
            'ok': ok}


def call_latency(results):
    floor = results.get('floor', {})
    base = _p50(cell(floor.get('pingpong'), callers=1))
    claim = _p50(cell(floor.get('pingpong_claim'), callers=1))
    calls = results.get('calls')
    push = _p50(cell(calls, 'push'))
    rabbit = _p50(cell(calls, 'rabbit'))
    ratio = stats.ratio(push, base)
    measured = ('push p50 %s ms / floor %s ms = %s (vs the claiming '
                'floor %s ms: %s; vs rabbit %s ms: %s)' % (
                    _fmt(push, digits=1), _fmt(base, digits=1),
                    _fmt(ratio, 'x'), _fmt(claim, digits=1),
                    _fmt(stats.ratio(push, claim), 'x'),
                    _fmt(rabbit, digits=1),
                    _fmt(stats.ratio(push, rabbit), 'x')))
    return _verdict('call p50 over zaqar:// (push), 1 caller',
                    '<= %.2fx the floor' % CALL_RATIO, measured,
                    None if ratio is None else ratio <= CALL_RATIO)


def throughput(results):
    floor = results.get('floor', {}).get('pingpong')
    calls = results.get('calls')
    parts, oks = [], []
    one = cell(calls, 'push', callers=1)
    for callers in (8, 32):
        mine = cell(calls, 'push', callers=callers)
        base = cell(floor, callers=callers)
        if mine is None or base is None:
            continue
        ratio = stats.ratio(mine['calls_per_s'], base['calls_per_s'])
        grows = one is None or mine['calls_per_s'] >= one['calls_per_s']
        oks.append(bool(ratio and ratio >= THROUGHPUT_RATIO and grows))
        parts.append('%d callers: %.0f calls/s = %s of the floor\'s %.0f' % (
            callers, mine['calls_per_s'], _fmt(ratio, 'x'),
            base['calls_per_s']))
    return _verdict('throughput at 8 and 32 callers (push, 1 server)',
                    'grows with callers, >= %.1fx the floor'
                    % THROUGHPUT_RATIO,
                    '; '.join(parts) or 'not measured',
                    all(oks) if oks else None)


def _idle_steps(results, delivery):
    steps = results.get('idle', {}).get('steps') or []
    return sorted((s for s in steps if s['delivery'] == delivery),
                  key=lambda s: s['guests'])


def idle_cpu(results):
    steps = _idle_steps(results, 'push')
    if not steps:
        return _verdict('idle guests, push', '%d guests: Zaqar+Redis < '
                        '%d %% of a core' % (IDLE_GUESTS, IDLE_CPU * 100),
                        'not measured', None)
    top = steps[-1]
    window = top['cpu']['zaqar_redis']
    projected = top.get('projected', {}).get('zaqar_redis')
    cpu = window if projected is None else projected
    base = results.get('idle', {}).get('baseline', {}).get('zaqar_redis')
    measured = '%d guests: %.1f %% of a core%s (%s with no guest)' % (
        top['guests'], cpu * 100,
        '' if projected is None else
        ' with safety reads and reconnections counted (%.1f %% measured '
        'in the window)' % (window * 100),
        'not measured' if base is None else '%.1f %%' % (base * 100))
    ok = None if top['guests'] < IDLE_GUESTS else cpu < IDLE_CPU
    return _verdict('idle guests, push', '%d guests: Zaqar+Redis < %d %% '
                    'of a core' % (IDLE_GUESTS, IDLE_CPU * 100), measured,
                    ok)


def idle_latency(results):
    steps = _idle_steps(results, 'push')
    if len(steps) < 2:
        return _verdict('a call among idle guests, push', '<= %.1fx the '
                        'single-guest latency' % IDLE_LATENCY_RATIO,
                        'not measured', None)
    one, top = steps[0], steps[-1]
    raw = stats.ratio(top['call_ms']['p50'], one['call_ms']['p50'])
    ratio = stats.ratio(top.get('call_vs_floor'), one.get('call_vs_floor'))
    measured = 'p50 %.1f ms among %d vs %.1f ms among %d: %s' % (
        top['call_ms']['p50'], top['guests'], one['call_ms']['p50'],
        one['guests'], _fmt(raw, 'x'))
    if ratio is None:
        ratio = raw
    else:
        measured += ('; %s once the machine\'s load is taken out (each '
                     'step\'s floor call: %.1f vs %.1f ms)' % (
                         _fmt(ratio, 'x'), top['floor_ms']['p50'],
                         one['floor_ms']['p50']))
    ok = (None if ratio is None or top['guests'] < IDLE_GUESTS
          else ratio <= IDLE_LATENCY_RATIO)
    return _verdict('a call among idle guests, push',
                    '<= %.1fx the single-guest latency' % IDLE_LATENCY_RATIO,
                    measured, ok)


def poll_cost(results):
    steps = _idle_steps(results, 'poll')
    if not steps:
        return _verdict('idle cost per guest, poll', 'stated',
                        'not measured', None)
    top = steps[-1]
    base = results.get('idle', {}).get('baseline', {}).get(
        'zaqar_redis', 0.0)
    per_guest = (top['cpu']['zaqar_redis'] - base) / top['guests']
    measured = ('%.2f req/s and %.2f %% of a core (Zaqar+Redis) per guest '
                '(%d guests)' % (top['requests_per_guest_s'],
                                 per_guest * 100, top['guests']))
    return _verdict('idle cost per guest, poll', 'stated', measured, True)


def suite(results):
    warm = (results.get('suite') or {}).get('warm')
    if not warm:
        return _verdict('full local suite, warm stack, without slow tests',
                        '< %d s' % SUITE_WARM_S, 'not measured', None)
    return _verdict('full local suite, warm stack, without slow tests',
                    '< %d s' % SUITE_WARM_S,
                    '%.0f s (%s)' % (warm['wall_s'], warm['summary']),
                    warm['wall_s'] < SUITE_WARM_S)


def judge(results):
    """Every verdict, in the issue's order."""
    return [call_latency(results), throughput(results), idle_cpu(results),
            idle_latency(results), poll_cost(results), suite(results)]
