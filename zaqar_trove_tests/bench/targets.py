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


"""Issue 14's targets, judged from one run's results (pure functions).

Each verdict is ``{name, target, measured, ok}``: ``ok`` is True, False,
or None when the run did not measure it (all of it: a target measured in
part and missed nowhere is None). Ratios are within the run; where the
run has RabbitMQ, its own ratio is stated beside, never judged: Zaqar's
own floor is the limit. Figures are computed from the cells themselves,
so a JSON ``report.compare`` did not annotate is judged the same.
"""

from zaqar_trove_tests.bench import report
from zaqar_trove_tests.bench import stats

CALL_RATIO = 1.15
THROUGHPUT_RATIO = 1.0
TAIL_RATIO = 3.0
CAST_RATIO = 0.9
CPU_RATIO = 1.15
VARIANT_FLOOR_GAIN = 1.5
VARIANT_PUSH_GAIN = 1.4
IDLE_GUESTS = 1000
IDLE_CPU = 0.05
IDLE_LATENCY_RATIO = 1.5
SUITE_WARM_S = 180
#: The references among the call floors (``report.FLOOR_KEYS``): one
#: path of Zaqar each; floor-claim adds a claim and a delete per call.
SINGLE_PATH_FLOORS = ('floor', 'floor-ws')
#: Whose CPU a call costs, per system (as ``variant.ZAQAR_SERVICES``).
ZAQAR_SERVICES = ('zaqar', 'zaqar-websocket', 'redis')
RABBIT_SERVICES = ('rabbitmq',)


def cell(cells, transport=None, servers=1, callers=1):
    """The first cell matching, or None."""
    for item in cells or ():
        if ((transport is None or item.get('transport') == transport) and
                item.get('servers', 1) == servers and
                item.get('callers') == callers):
            return item
    return None


def _call(results, transport, callers):
    return cell(results.get('calls'), transport, callers=callers)


def _latency(item, key='p50'):
    return (item or {}).get('latency_ms', {}).get(key)


def _rate(item):
    return (item or {}).get('calls_per_s')


def _cpu_ms(item, services):
    """CPU ms per call of ``services`` summed (None if not measured)."""
    item = item or {}
    per_call = report.cpu_ms_per_call(item.get('cpu', {}),
                                      item.get('wall_s'), item.get('calls'))
    if not per_call:
        return None
    return sum(per_call.get(name, 0.0) for name in services)


def _floors(results, callers):
    """``[(name, cell)]``: the single-path floors that worked at callers."""
    floor = results.get('floor', {})
    found = [(name, cell(floor.get(report.FLOOR_KEYS[name]),
                         callers=callers)) for name in SINGLE_PATH_FLOORS]
    return [(name, item) for name, item in found
            if _rate(item) and _latency(item) is not None]


def _cheapest(results, callers):
    """``(name, cell)`` of the floor with the lowest p50, or Nones."""
    return min(_floors(results, callers), key=lambda pair: _latency(pair[1]),
               default=(None, None))


def _best(results, callers):
    """``(name, cell)`` of the floor with the most calls/s, or Nones."""
    return max(_floors(results, callers), key=lambda pair: _rate(pair[1]),
               default=(None, None))


def _fmt(value, unit='', digits=2):
    if value is None:
        return 'not measured'
    return ('%.' + str(digits) + 'f%s') % (value, unit)


def _at(callers):
    return '%d caller%s' % (callers, '' if callers == 1 else 's')


def _compare(what, mine, name, reference, unit, digits, rabbit=None):
    """``(text, ratio)``: ``what mine / name reference = ratio``.

    :param rabbit: RabbitMQ's figure, stated with its own ratio to
        ``reference`` when given.
    """
    if mine is None and reference is None:
        return '%s: not measured' % what, None
    ratio = stats.ratio(mine, reference)
    text = '%s %s / %s %s = %s' % (
        what, _fmt(mine, unit, digits), name or 'floor',
        _fmt(reference, unit, digits), _fmt(ratio, 'x'))
    if rabbit is not None:
        text += ' (RabbitMQ %s: %s, not a target)' % (
            _fmt(rabbit, unit, digits), _fmt(stats.ratio(rabbit, reference),
                                             'x'))
    return text, ratio


def _judged(value, test):
    return None if value is None else bool(test(value))


def _all(oks):
    """False if one is False, else None if one (or all) is None."""
    oks = list(oks)
    if any(ok is False for ok in oks):
        return False
    return None if not oks or None in oks else True


def _verdict(name, target, measured, ok):
    return {'name': name, 'target': target, 'measured': measured,
            'ok': ok}


def call_latency(results):
    name, floor = _cheapest(results, 1)
    measured, ratio = _compare(
        'push p50', _latency(_call(results, 'push', 1)),
        'the cheapest floor (%s)' % name if name else None, _latency(floor),
        ' ms', 1, _latency(_call(results, 'rabbit', 1)))
    return _verdict('call p50 over zaqar:// (push), 1 caller',
                    '<= %.2fx the cheapest floor (%s)' % (
                        CALL_RATIO, ', '.join(SINGLE_PATH_FLOORS)),
                    measured, _judged(ratio, lambda r: r <= CALL_RATIO))


def _vs_best(results, callers, figure, unit, digits, rabbit_figure=None):
    """``_compare`` of push's ``figure`` to the best floor's at callers."""
    name, floor = _best(results, callers)
    return _compare(_at(callers) + ': push',
                    figure(_call(results, 'push', callers)), name,
                    figure(floor), unit, digits,
                    (rabbit_figure or figure)(_call(results, 'rabbit',
                                                    callers)))


def throughput(results):
    parts, oks = [], []
    for callers in (8, 32):
        text, ratio = _vs_best(results, callers, _rate, ' calls/s', 0)
        parts.append(text)
        oks.append(_judged(ratio, lambda r: r >= THROUGHPUT_RATIO))
    return _verdict('calls/s at 8 and 32 callers (push, 1 server)',
                    '>= %.1fx the best single-path floor at the same '
                    'callers' % THROUGHPUT_RATIO, '; '.join(parts), _all(oks))


def _scaling(results, transport):
    """32 over 8 callers' calls/s, and p99 over p50 at 8 callers."""
    eight = _call(results, transport, 8)
    return (stats.ratio(_rate(_call(results, transport, 32)), _rate(eight)),
            stats.ratio(_latency(eight, 'p99'), _latency(eight)))


def scaling(results):
    grows, tail = _scaling(results, 'push')
    measured = ('push: calls/s at 32 callers / at 8 = %s; p99 / p50 at 8 '
                'callers = %s' % (_fmt(grows, 'x'), _fmt(tail, 'x')))
    if _call(results, 'rabbit', 8):
        measured += ' (RabbitMQ: %s; %s, not a target)' % tuple(
            _fmt(ratio, 'x') for ratio in _scaling(results, 'rabbit'))
    return _verdict('push from 8 to 32 callers, and its tail',
                    'calls/s at 32 callers >= at 8; p99 < %.0fx p50 at 8'
                    % TAIL_RATIO, measured,
                    _all([_judged(grows, lambda r: r >= 1.0),
                          _judged(tail, lambda r: r < TAIL_RATIO)]))


def casts(results):
    cells = {c['transport']: c for c in results.get('casts') or ()}
    push = cells.get('push', {})
    measured, ratio = _compare(
        'push', push.get('received_per_s'), 'the cast floor',
        cells.get('floor', {}).get('received_per_s'), ' received/s', 0,
        cells.get('rabbit', {}).get('received_per_s'))
    lost = None
    if push:
        lost = push.get('lost', push['sent'] - push['received'])
        measured += '; push lost %d of %d sent' % (lost, push['sent'])
    return _verdict('casts (push)', '>= %.1fx the cast floor\'s received/s, '
                    'none lost' % CAST_RATIO, measured,
                    _all([_judged(ratio, lambda r: r >= CAST_RATIO),
                          _judged(lost, lambda n: n == 0)]))


def zaqar_cpu(results):
    parts, ok = [], None
    for callers in (1, 8, 32):
        if callers != 8 and not _call(results, 'push', callers):
            continue
        text, ratio = _vs_best(
            results, callers, lambda item: _cpu_ms(item, ZAQAR_SERVICES),
            ' ms', 2, lambda item: _cpu_ms(item, RABBIT_SERVICES))
        parts.append(text)
        if callers == 8:
            ok = _judged(ratio, lambda r: r <= CPU_RATIO)
    return _verdict('Zaqar CPU per call (API, websocket, Redis), push',
                    '<= %.2fx the floor\'s with the most calls/s, at 8 '
                    'callers' % CPU_RATIO, '; '.join(parts), ok)


def zaqar_variant(results):
    gains = {(r['variant'], r['transport'], r['callers']):
             (r.get('vs_stock') or {}).get('capacity_per_s')
             for r in results.get('variant') or ()}
    names = sorted({key[0] for key in gains} - {'stock'})
    best = max(names, key=lambda name: gains.get((name, 'floor', 8)) or 0,
               default=None)
    floor, push = (gains.get((best, transport, 8))
                   for transport in ('floor', 'push'))
    measured = 'not measured' if best is None else (
        '%s, capacity vs stock: %s' % (best, '; '.join(
            '%s: floor %s, push %s' % (
                _at(callers), _fmt(gains.get((best, 'floor', callers)), 'x'),
                _fmt(gains.get((best, 'push', callers)), 'x'))
            for callers in (1, 8, 32))))
    return _verdict('the best Zaqar-side variant, 8 callers',
                    'floor capacity >= %.1fx stock; push with it >= %.1fx'
                    % (VARIANT_FLOOR_GAIN, VARIANT_PUSH_GAIN), measured,
                    _all([_judged(floor, lambda g: g >= VARIANT_FLOOR_GAIN),
                          _judged(push, lambda g: g >= VARIANT_PUSH_GAIN)]))


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
    return [call_latency(results), throughput(results), scaling(results),
            casts(results), zaqar_cpu(results), zaqar_variant(results),
            idle_cpu(results), idle_latency(results), poll_cost(results),
            suite(results)]
