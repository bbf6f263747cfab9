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

"""A capacity model from a bench run's JSON (measures nothing).

Measured, per service (share of one core): the CPU of one call (the
run's 1-server, 1-caller cell of each transport), of one cast (its casts
cell) and of one idle guest (its largest idle step, less the no-guest
baseline; push adds the projected rare events). Assumed: the load below
(named constants) and one core per process for the Python services.
A figure the run lacks is ``None`` and shows as "not measured".
"""

import math

#: Guest counts the model is worked out for.
GUESTS = (1000, 10000)
#: Trove conductors: push listeners, and the servers of the heartbeats.
CONDUCTORS = 10
#: Seconds between a guest's heartbeat cast to the conductors (Trove's
#: ``report_interval`` default).
HEARTBEAT_INTERVAL_S = 30.0
#: call()s per guest per hour from the taskmanager and API (status,
#: users, databases, backups): an assumption, not a measurement.
CALLS_PER_GUEST_HOUR = 4.0
#: Cores one Python process can use (the GIL).
CORES_PER_PYTHON_PROCESS = 1.0

TRANSPORTS = ('push', 'poll', 'rabbit')
#: Idle steps are per delivery; RabbitMQ has none in the bench.
IDLE_DELIVERY = {'push': 'push', 'poll': 'poll', 'rabbit': None}
SERVICES = ('zaqar', 'zaqar-websocket', 'redis', 'keystone', 'rabbitmq',
            'servers')
PARTS = ('call', 'cast', 'idle')
ZAQAR = ('push', 'poll')
#: The table's rows: (label, service, Python processes?, transports that
#: use the service, parts that load it). A call's server is the guest,
#: so the conductors carry only the heartbeat casts.
ROWS = (('Zaqar API processes', 'zaqar', True, ZAQAR, PARTS),
        ('Zaqar websocket processes', 'zaqar-websocket', True, ('push',),
         PARTS),
        ('Redis cores', 'redis', False, ZAQAR, PARTS),
        ('RabbitMQ cores', 'rabbitmq', False, ('rabbit',), PARTS),
        ('conductors busy (of %d)' % CONDUCTORS, 'servers', True,
         TRANSPORTS, ('cast',)))
NOT_MEASURED = 'not measured'
NOT_USED = '-'


def _per_service(cpu, scale):
    """``{service: cpu[service] * scale}`` for the services measured."""
    return {s: cpu[s] * scale for s in SERVICES if s in cpu}


def call_cost(results, transport):
    """Core-seconds per call, per service, or None (1 server, 1 caller)."""
    cells = [c for c in results.get('calls', [])
             if c['transport'] == transport and c['servers'] == 1 and
             c.get('calls_per_s')]
    if not cells:
        return None
    cell = min(cells, key=lambda c: c['callers'])
    return _per_service(cell['cpu'], 1.0 / cell['calls_per_s'])


def cast_cost(results, transport):
    """Core-seconds per cast received, per service, or None."""
    for cell in results.get('casts', []):
        if cell['transport'] == transport and cell.get('received'):
            return _per_service(cell['cpu'],
                                cell['cpu']['wall_s'] / cell['received'])
    return None


def idle_cost(results, transport):
    """Cores per idle guest, per service, or None.

    The largest step of the transport's delivery less the no-guest
    baseline, per guest; a push step's projected rare events (safety
    reads, re-authentication, reconnection: ``idle.project``, not split
    by service) are counted on the Zaqar API.
    """
    idle = results.get('idle', {})
    delivery = IDLE_DELIVERY[transport]
    steps = [s for s in idle.get('steps', []) if s['delivery'] == delivery]
    if not steps or 'baseline' not in idle:
        return None
    step = max(steps, key=lambda s: s['guests'])
    base = idle['baseline']
    cost = {s: max(0.0, step['cpu'][s] - base.get(s, 0.0)) / step['guests']
            for s in SERVICES if s in step['cpu']}
    projected = step.get('projected')
    if projected:
        rare = projected['zaqar_redis'] - step['cpu']['zaqar_redis']
        cost['zaqar'] = cost.get('zaqar', 0.0) + rare / step['guests']
    return cost


def load(guests):
    """The assumed load: ``{casts_per_s, calls_per_s, listeners}``."""
    return {'casts_per_s': guests / HEARTBEAT_INTERVAL_S,
            'calls_per_s': guests * CALLS_PER_GUEST_HOUR / 3600.0,
            'listeners': guests + CONDUCTORS}


def costs(results, transport):
    """``{call, cast, idle}`` costs of a transport (each may be None)."""
    return {'call': call_cost(results, transport),
            'cast': cast_cost(results, transport),
            'idle': idle_cost(results, transport)}


def cores(unit_costs, service, demand, parts=PARTS):
    """Cores a service needs, and the parts the run did not measure.

    :param unit_costs: ``costs()``.
    :param demand: ``load()``.
    :param parts: which of call, cast and idle load the service.
    :returns: ``(cores, [missing part, ...])``; cores is None when no
        part was measured.
    """
    rates = {'call': demand['calls_per_s'], 'cast': demand['casts_per_s'],
             'idle': demand['listeners']}
    total, missing = None, []
    for part in parts:
        cost = unit_costs[part]
        if cost is None or service not in cost:
            missing.append(part)
            continue
        total = (total or 0.0) + cost[service] * rates[part]
    return total, missing


def processes(core_count):
    """Python processes for a number of cores (at least one)."""
    return max(1, int(math.ceil(core_count / CORES_PER_PYTHON_PROCESS)))


def _figure(core_count, missing, python):
    """A cell: cores, or processes for a Python service, and gaps."""
    if core_count is None:
        return NOT_MEASURED
    text = ('%d (%.2f cores)' % (processes(core_count), core_count)
            if python else '%.2f' % core_count)
    if missing:
        text += ' + %s %s' % ('/'.join(missing), NOT_MEASURED)
    return text


def _ms(cost, service):
    if cost is None or service not in cost:
        return NOT_MEASURED
    return '%.3f' % (1000.0 * cost[service])


def _table(header, rows):
    """A reStructuredText simple table."""
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    rule = '  '.join('=' * w for w in widths)

    def line(row):
        return '  '.join(str(c).ljust(w) for c, w in
                         zip(row, widths)).rstrip()
    return [rule, line(header), rule] + [line(r) for r in rows] + [rule]


def inputs_table(all_costs):
    """Measured unit costs: ms of one core per call, cast, idle guest."""
    header = ['service'] + ['%s %s' % (t, part) for t in TRANSPORTS
                            for part in PARTS]
    rows = [[s] + [_ms(all_costs[t][part], s) for t in TRANSPORTS
                   for part in PARTS]
            for s in SERVICES]
    return _table(header, rows)


def capacity_table(all_costs):
    """Processes and cores per service, guest count and transport."""
    header = ['needed'] + ['%d guests, %s' % (g, t) for g in GUESTS
                           for t in TRANSPORTS]
    rows = [[row[0]] + [_cell(all_costs[t], row, g, t)
                        for g in GUESTS for t in TRANSPORTS]
            for row in ROWS]
    return _table(header, rows)


def _cell(unit_costs, row, guests, transport):
    """One transport's figure for a row at a guest count."""
    _label, service, python, transports, parts = row
    if transport not in transports:
        return NOT_USED
    core_count, missing = cores(unit_costs, service, load(guests), parts)
    return _figure(core_count, missing, python)


def _source(results):
    machine = results.get('machine', {})
    stack = results.get('stack', {})
    return ('The run: %s cores, load %s at the start, %s; Zaqar API '
            '%s workers x %s threads.' % (
                machine.get('cores', '?'),
                (machine.get('load_1_5_15') or ['?'])[0],
                machine.get('time', 'time unknown'),
                stack.get('zaqar_workers', '?'),
                stack.get('zaqar_threads', '?')))


def rst(results, source='the run'):
    """The capacity page, reStructuredText, from a run's results."""
    all_costs = {t: costs(results, t) for t in TRANSPORTS}
    title = 'Capacity model'
    lines = [
        '=' * len(title), title, '=' * len(title), '',
        'Generated by ``python -m zaqar_trove_tests.bench --capacity`` '
        'from %s; do not edit by hand. %s' % (source, _source(results)), '',
        'Assumed', '-------', '',
        '- %d conductors, each also an idle listener;' % CONDUCTORS,
        '- every guest casts a heartbeat every %g s (Trove\'s '
        '``report_interval``);' % HEARTBEAT_INTERVAL_S,
        '- %g call()s per guest per hour from the taskmanager and API '
        '(not measured: Trove calls a guest on user actions);'
        % CALLS_PER_GUEST_HOUR,
        '- one core per process for the Python services (Zaqar API, '
        'websocket server, conductors): %g core each;'
        % CORES_PER_PYTHON_PROCESS,
        '- costs add linearly; the run\'s small machine shared its cores '
        'among all services, so a service measured at saturation may '
        'cost less alone.', '',
        'Measured', '--------', '',
        'CPU in milliseconds of one core per call (1 server, 1 caller), '
        'per cast received (8 senders), and per idle guest per second '
        '(the largest idle step less the no-guest baseline; push adds the '
        'projected safety reads, re-authentication and reconnection, '
        'counted on the Zaqar API). RabbitMQ idle guests are not '
        'measured by the bench.', '']
    lines += inputs_table(all_costs)
    lines += ['', 'Needed', '------', '',
              'Python services in processes (cores in brackets), the others '
              'in cores; a part the run did not measure is named, "-" '
              'where the transport does not use the service. A call\'s '
              'server is the guest, so the conductors carry only the '
              'heartbeats.', '']
    lines += capacity_table(all_costs)
    return '\n'.join(lines) + '\n'
