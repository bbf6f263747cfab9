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


"""The run as a markdown document (tables) and as JSON (pure functions)."""

import json

from zaqar_trove_tests.bench import profile
from zaqar_trove_tests.bench import stats
from zaqar_trove_tests.stack import opkinds

PRIMITIVES = (('post', 'HTTP post'), ('claim', 'HTTP claim (1)'),
              ('delete', 'HTTP delete (by id)'), ('pop', 'HTTP pop (1)'),
              ('claim_empty', 'HTTP claim, empty queue'),
              ('pop_empty', 'HTTP pop, empty queue'),
              ('ws_post', 'websocket post'),
              ('post_push', 'HTTP post -> websocket push'),
              ('ws_connect', 'websocket connection + authentication'),
              ('subscribe', 'websocket subscription'))


#: Call floors: transport -> key under ``results['floor']``, label.
FLOOR_KEYS = {'floor': 'pingpong', 'floor-claim': 'pingpong_claim',
              'floor-ws': 'pingpong_ws',
              'floor-claim-ws': 'pingpong_claim_ws'}
FLOOR_LABELS = {'pingpong': 'floor call',
                'pingpong_claim': 'floor call, claiming',
                'pingpong_ws': 'floor call, websocket posts',
                'pingpong_claim_ws': 'floor call, claiming, all websocket'}
#: Services in the order the report names them, with short names.
SERVICES = (('zaqar', 'Zaqar API'), ('zaqar-websocket', 'Zaqar ws'),
            ('redis', 'Redis'), ('keystone', 'Keystone'),
            ('rabbitmq', 'RabbitMQ'), ('servers', 'servers'),
            ('callers', 'callers'))


def cpu_ms_per_call(cpu, wall_s, calls):
    """CPU ms each service spent per call.

    :param cpu: ``{service: share of one core}`` over ``wall_s`` seconds
        (a ``wall_s`` key in it is ignored).
    """
    if not calls or not wall_s:
        return {}
    return {name: share * wall_s * 1000.0 / calls
            for name, share in cpu.items() if name != 'wall_s'}


def best_floors(floor):
    """``{callers: best}`` over the call floors of a run.

    ``best``: ``calls_per_s`` the most of any floor and ``p50`` the
    lowest, with the transports that did them (``calls_of``, ``p50_of``).
    """
    best = {}
    for transport, key in FLOOR_KEYS.items():
        for cell in floor.get(key, []):
            mine = best.setdefault(cell['callers'], {
                'calls_per_s': 0.0, 'calls_of': None,
                'p50': None, 'p50_of': None})
            if cell['calls_per_s'] > mine['calls_per_s']:
                mine.update(calls_per_s=cell['calls_per_s'],
                            calls_of=transport)
            p50 = cell['latency_ms']['p50']
            if p50 is not None and (mine['p50'] is None or
                                    p50 < mine['p50']):
                mine.update(p50=p50, p50_of=transport)
    return best


def vs_floor(cell, best):
    """A call cell's ratios to the best floor at its callers (or None)."""
    if best is None:
        return None
    return dict(best, calls_per_s_ratio=stats.ratio(cell['calls_per_s'],
                                                    best['calls_per_s']),
                p50_ratio=stats.ratio(cell['latency_ms']['p50'],
                                      best['p50']))


def compare(results):
    """Add ratios to the floors and CPU ms per call to the cells.

    Call cells get ``vs_floor`` (the best floor's figures and the
    ratios to them), ``cpu_ms_per_call`` and ``zaqar_ops`` (Zaqar
    operations per call, ``opkinds.per``; None if not counted);
    floor cells ``cpu_ms_per_call`` and ``zaqar_ops``; casts
    ``cpu_ms_per_cast`` and ``zaqar_ops`` (per cast received) and
    ``received_vs_floor`` (received/s over the cast floor's, transport
    ``floor``).
    """
    floor = results.get('floor', {})
    best = best_floors(floor)
    calls = results.get('calls') or []
    for cell in calls + [c for key in FLOOR_KEYS.values()
                         for c in floor.get(key, [])]:
        cell['cpu_ms_per_call'] = cpu_ms_per_call(
            cell.get('cpu', {}), cell.get('wall_s'), cell['calls'])
        cell['zaqar_ops'] = opkinds.per(cell.get('ops'), cell['calls'])
    for cell in calls:
        cell['vs_floor'] = vs_floor(cell, best.get(cell['callers']))
    casts = results.get('casts') or []
    cast_floor = next((c for c in casts if c['transport'] == 'floor'), {})
    for cell in casts:
        cpu = cell.get('cpu', {})
        cell['cpu_ms_per_cast'] = cpu_ms_per_call(
            cpu, cpu.get('wall_s', 0.0), cell['received'])
        cell['zaqar_ops'] = opkinds.per(cell.get('ops'), cell['received'])
        cell['received_vs_floor'] = stats.ratio(
            cell['received_per_s'], cast_floor.get('received_per_s'))


def _cpu_ms(per_call):
    """``per_call`` (``{service: ms}``) as one short cell."""
    return ', '.join('%s %.2f' % (label, per_call[name])
                     for name, label in SERVICES
                     if name in (per_call or {})) or '-'


def _ms(value):
    return '-' if value is None else '%.1f' % value


def _pct(value):
    return '-' if value is None else '%.1f %%' % (100 * value)


def _table(header, rows):
    out = ['| ' + ' | '.join(header) + ' |',
           '|' + '|'.join('---' for _ in header) + '|']
    out.extend('| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows)
    return out + ['']


def _machine(results):
    m = results.get('machine', {})
    after = results.get('machine_after', {})
    stack = results.get('stack', {})
    return [
        '- machine: %s cores (%s), %s GiB; load average (1/5/15 min) %s '
        'at the start, %s at the end; %s' % (
            m.get('cores'), m.get('cpu_model') or '?', m.get('memory_gb'),
            '/'.join(str(x) for x in m.get('load_1_5_15', [])),
            '/'.join(str(x) for x in after.get('load_1_5_15', [])),
            m.get('time')),
        '- stack: %s; Zaqar API: gunicorn %s workers x %s threads; %s' % (
            stack.get('state_dir'), stack.get('zaqar_workers'),
            stack.get('zaqar_threads'), _websockets(stack)),
        '- command: `%s`; run took %.0f s' % (
            results.get('command', ''), results.get('wall_s', 0)),
        '']


def _websockets(stack):
    """``one websocket server`` (also for runs that did not record it)."""
    count = stack.get('zaqar_websockets') or 1
    pools = stack.get('zaqar_pools') or 1
    return ('one websocket server' if count == 1 else (
        '%d websocket servers' % count)) + (
        '; %d Zaqar pools (Redis servers)' % pools if pools > 1 else '')


def _targets(results):
    rows = [(v['name'], v['target'], v['measured'],
             {True: 'met', False: '**missed**', None: '-'}[v['ok']])
            for v in results.get('targets', [])]
    return ['## Targets', ''] + _table(
        ('target', 'wanted', 'measured', ''), rows)


def _floor(results):
    floor = results.get('floor')
    if not floor:
        return []
    prims = floor.get('primitives', {})
    rows = []
    for key, label in PRIMITIVES:
        if key not in prims:
            continue
        item = prims[key]
        cpu = item.get('cpu_ms', {})
        rows.append((label, _ms(item['p50']), _ms(item['p90']),
                     _ms(item['p99'])) + tuple(
            _ms(cpu.get(name)) for name in ('zaqar', 'zaqar-websocket',
                                            'redis', 'keystone')))
    out = ['## The floor: Zaqar\'s own primitives', '',
           'One request at a time: latency, and the CPU each cost the '
           'services (ms of CPU per operation).', ''] + _table(
        ('operation', 'p50 ms', 'p90 ms', 'p99 ms', 'Zaqar API CPU',
         'Zaqar ws CPU', 'Redis CPU', 'Keystone CPU'), rows)
    push = prims.get('post_push', {}).get('p50')
    if push is not None:
        out += ['Sum a call cannot beat (request post + delivery + reply '
                'post + delivery = 2 x post->push p50): **%.1f ms**.' % (
                    2 * push), '']
    rows = []
    for key, label in FLOOR_LABELS.items():
        for item in floor.get(key, []):
            lat = item['latency_ms']
            rows.append((label, item['callers'], _ms(lat['p50']),
                         _ms(lat['p90']), _ms(lat['p99']),
                         '%.0f' % item['calls_per_s'], item['errors'],
                         _cpu_ms(item.get('cpu_ms_per_call'))))
    out += ['Floor call: post a request, its push reaches a responder '
            'process that posts the reply, whose push reaches the caller '
            '(claiming: the responder claims the request before replying '
            'and deletes it after, as competing consumers must; websocket '
            'posts: both sides post over their websocket, not HTTP).', '']
    return out + _table(('', 'callers', 'p50 ms', 'p90 ms', 'p99 ms',
                         'calls/s', 'errors', 'CPU ms per call'), rows)


def _calls(results):
    calls = results.get('calls')
    if not calls:
        return []
    rows = []
    for item in calls:
        lat = item['latency_ms']
        cpu = item.get('cpu', {})
        best = item.get('vs_floor') or {}
        rows.append((
            item['transport'], item['servers'], item['callers'],
            _ms(lat['p50']), _ms(lat['p90']), _ms(lat['p99']),
            '%.0f' % item['calls_per_s'], _times(best.get('p50_ratio')),
            _times(best.get('calls_per_s_ratio')),
            item['errors'], _pct(cpu.get('zaqar')),
            _pct(cpu.get('zaqar-websocket')), _pct(cpu.get('redis')),
            _pct(cpu.get('rabbitmq')),
            _cpu_ms(item.get('cpu_ms_per_call'))))
    return ['## call()', '',
            'Servers are worker processes, callers threads of one process '
            'sharing a transport. CPU: share of one core during the cell, '
            'and CPU ms per call. Ratios are to the best floor at the same '
            'callers: the lowest p50 and the most calls/s of any floor '
            'call.', ''] + _table(
        ('transport', 'servers', 'callers', 'p50 ms', 'p90 ms', 'p99 ms',
         'calls/s', 'p50 / best floor', 'calls/s / best floor', 'errors',
         'Zaqar API', 'Zaqar ws', 'Redis', 'RabbitMQ', 'CPU ms per call'),
        rows)


def _times(ratio):
    return '-' if ratio is None else '%.2fx' % ratio


def _ratio(value, reference):
    return _times(stats.ratio(value, reference))


def _casts(results):
    casts = results.get('casts')
    if not casts:
        return []
    rows = [(c['transport'], c['sent'], '%.0f' % c['sent_per_s'],
             c['received'], '%.0f' % c['received_per_s'],
             c.get('lost', c['sent'] - c['received']), c['send_errors'],
             _times(c.get('received_vs_floor')),
             _cpu_ms(c.get('cpu_ms_per_cast'))) for c in casts]
    return ['## cast()', '', 'Casts from %d threads to one server. The '
            'cast floor (transport floor): HTTP posts of a cast\'s size '
            'to one queue, pushed to a responder process that counts '
            'them.' % casts[0]['senders'], ''] + _table(
        ('transport', 'sent', 'sent/s', 'received', 'received/s', 'lost',
         'errors', 'received/s / floor', 'CPU ms per cast received'),
        rows)


#: Kinds under this many per call are left out of the report's table.
OPS_SHOWN = 0.005


def _ops_kinds(per_call):
    """``{kind: per call}`` as ``kind n, ...``, most frequent first."""
    kinds = sorted(per_call.items(), key=lambda item: (-item[1], item[0]))
    return ', '.join('%s %.2f' % (kind, n) for kind, n in kinds
                     if n >= OPS_SHOWN) or '-'


def _ops_row(name, servers, callers, ops):
    total = ops.get('total', {})
    return (name, servers, callers,
            '%.2f' % total.get('http', 0.0),
            _ops_kinds(ops.get('http', {})),
            '%.2f' % total.get('websocket', 0.0),
            _ops_kinds(ops.get('websocket', {})))


def _ops(results):
    """Zaqar operations per call (and per cast) of every counted cell."""
    rows = []
    floor = results.get('floor') or {}
    for transport, key in FLOOR_KEYS.items():
        for cell in floor.get(key, []):
            if cell.get('zaqar_ops'):
                rows.append(_ops_row(transport, cell['servers'],
                                     cell['callers'], cell['zaqar_ops']))
    for cell in results.get('calls') or []:
        if cell.get('zaqar_ops'):
            rows.append(_ops_row(cell['transport'], cell['servers'],
                                 cell['callers'], cell['zaqar_ops']))
    for cell in results.get('casts') or []:
        if cell.get('zaqar_ops'):
            name = 'floor-cast' if cell['transport'] == 'floor' else \
                cell['transport']
            rows.append(_ops_row(name + ' (per cast)', 1, cell['senders'],
                                 cell['zaqar_ops']))
    if not rows:
        return []
    return ['## Zaqar operations per call', '',
            'Counted by the Zaqar processes themselves (harness '
            'instrumentation of the local stack: HTTP requests by method '
            'and route in every API worker; websocket frames by action, '
            'connections, notification webhooks received and pushes '
            'forwarded in the websocket server), divided by the cell\'s '
            'calls (casts: casts received). Everything Zaqar served during '
            'the cell counts, including what idle listeners of the other '
            'systems measured in the same run (poll servers keep polling) '
            'did. Kinds under %.3f per call are left out.' % OPS_SHOWN,
            ''] + _table(('system', 'servers', 'callers', 'HTTP',
                          'HTTP by kind', 'websocket',
                          'websocket by kind'), rows)


def _idle(results):
    idle = results.get('idle')
    if not idle:
        return []
    base = idle.get('baseline', {})
    proj = idle.get('projection')
    out = ['## Idle guests', '',
           'Each guest: its own transport and topic (`Target(topic, '
           'server)`), idle. CPU is the share of one core over the '
           'window; with no guest Zaqar+Redis used %s. Requests are the '
           'HTTP requests the guests sent in the window.' % (
               _pct(base.get('zaqar_redis')))]
    if proj:
        out += ['"Projected" adds, for push, what a window of seconds '
                'does not see, from the CPU the floor measured for each '
                'primitive: safety reads every %(push_safety_interval)s s, '
                'an authentication in place per token lifetime (3600 s) '
                'and a reconnection (authentication, subscriptions, '
                'catch-up reads) per half subscription TTL '
                '(%(push_subscription_ttl)s s / 2); Keystone: the logins '
                'Zaqar\'s websocket server makes for those '
                'authentications.' % proj]
    out.append('')
    rows = []
    ones = {}
    for step in idle.get('steps', []):
        ones.setdefault(step['delivery'], step['call_ms']['p50'])
        cpu = step['cpu']
        projected = step.get('projected', {})
        rows.append((step['delivery'], step['guests'],
                     '%.1f' % step['requests_per_s'],
                     '%.4f' % step['requests_per_guest_s'],
                     _pct(cpu['zaqar']), _pct(cpu['zaqar-websocket']),
                     _pct(cpu['redis']), _pct(cpu['zaqar_redis']),
                     _pct(projected.get('zaqar_redis')),
                     _pct(projected.get('keystone')),
                     '%.0f' % (step['rss_per_guest'] / 1024.0),
                     _ms(step['call_ms']['p50']),
                     _ms(step.get('floor_ms', {}).get('p50')),
                     _ratio(step['call_ms']['p50'],
                            ones[step['delivery']]),
                     '%.0f' % step['start_s']))
    return out + _table(('delivery', 'guests', 'req/s', 'req/s per guest',
                         'Zaqar API', 'Zaqar ws', 'Redis', 'Zaqar+Redis',
                         'projected', 'Keystone (projected)',
                         'KiB per guest', 'call p50 ms',
                         'floor call p50 ms', 'call vs first step',
                         'start s'), rows)


def _suite(results):
    suite = results.get('suite')
    if not suite:
        return []
    rows = [(name, '%.0f' % run['wall_s'], run.get('stack_up_s', '-'),
             run['summary'], run['returncode'])
            for name, run in sorted(suite.items())]
    return ['## The suite\'s own wall time', '', 'Command: `%s`' % (
        next(iter(suite.values()))['command']), ''] + _table(
        ('stack', 'wall s', 'stack up s', 'result', 'exit'), rows)


def _sweep(results):
    sweep = results.get('sweep')
    if not sweep:
        return []
    rows = []
    for item in sweep:
        rows.append(('%d x %d' % (item['workers'], item['threads']),
                     _ms(item['floor_1']['latency_ms']['p50']),
                     '%.0f' % item['floor_8']['calls_per_s'],
                     _ms(item['push_1']['latency_ms']['p50']),
                     '%.0f' % item['push_8']['calls_per_s']))
    return ['## Zaqar API deployment (gunicorn workers x threads)', ''] + \
        _table(('workers x threads', 'floor call p50 ms (1 caller)',
                'floor calls/s (8)', 'push call p50 ms (1)',
                'push calls/s (8)'), rows)


def _variant(results):
    rows = results.get('variant')
    if not rows:
        return []
    out = []
    for row in rows:
        gain = row.get('vs_stock') or {}
        out.append((row['variant'], row['transport'], row['callers'],
                    '%.0f' % row['calls_per_s'], _ms(row['p50_ms']),
                    '%.2f' % row['zaqar_cpu_ms_per_call'],
                    '%.0f' % row['capacity_per_s'],
                    _times(gain.get('calls_per_s')),
                    _times(gain.get('capacity_per_s'))))
    return ['## Zaqar variants against stock Zaqar', '',
            'Capacity: what %d cores of Zaqar (API, websocket server, '
            'Redis) carry at the measured Zaqar CPU per call.' %
            rows[0].get('cores', 2), ''] + _table(
        ('variant', 'system', 'callers', 'calls/s', 'p50 ms',
         'Zaqar CPU ms/call', 'capacity calls/s', 'calls/s vs stock',
         'capacity vs stock'), out)


def _scale(results):
    scale = results.get('scale')
    if not scale or not scale.get('rows'):
        return []
    ratio = {(r.get('axis', 'websockets'), r['transport'], r['callers']): r
             for r in scale['ratios']}
    out = []
    for row in scale['rows']:
        pools = row.get('pools', 1)
        axis = 'websockets' if row['websockets'] > 1 else (
            'pools' if pools > 1 else None)
        gain = ratio.get((axis, row['transport'], row['callers'])) or {}
        out.append((row['transport'], row['callers'], row['websockets'],
                    pools, '%.0f' % row['calls_per_s'], _ms(row['p50_ms']),
                    _ms2(row['zaqar_cpu_ms_per_call']),
                    _pct(row['ws_cores']), _pct(row.get('redis_cores')),
                    row['errors'], _times(gain.get('calls_per_s')),
                    _times(gain.get('zaqar_cpu_ms_per_call'))))
    return ['## Scale-out: 1 against %d Zaqar websocket servers, 1 against '
            '%d pools' % (scale['websocket_servers'], scale.get('pools', 1)),
            '',
            'floor-ws on 2 websocket servers: caller and responder on '
            'different servers; push on 2: the zaqar:// client on the first, '
            'its RPC server on the second. On 2 pools, Zaqar placed each new '
            'queue on either. Zaqar CPU: API, every websocket server, every '
            'Redis. Websocket and Redis CPU: those servers together, share '
            'of one core. "vs 1": against the row with 1 websocket server '
            'and 1 pool.', ''] + _table(
        ('system', 'callers', 'websocket servers', 'pools', 'calls/s',
         'p50 ms', 'Zaqar CPU ms/call', 'websocket CPU', 'Redis CPU',
         'errors', 'calls/s vs 1', 'Zaqar CPU/call vs 1'), out)


def _ms2(value):
    return '-' if value is None else '%.2f' % value


def _profile(results):
    return profile.markdown(results.get('profile'))


def _tuning(results):
    steps = results.get('tuning', [])
    if not steps:
        return []
    rows = [(s['step'], s['change'], s['before'], s['after'])
            for s in steps]
    return ['## Tuning steps (each measured by a bench run, ratios to the '
            'floor of the same run)', ''] + _table(
        ('step', 'change', 'before', 'after'), rows)


def markdown(results):
    """The whole report."""
    lines = ['# zaqar:// benchmark', ''] + _machine(results)
    for part in (_targets, _floor, _calls, _casts, _ops, _idle, _sweep,
                 _variant, _scale, _profile, _suite, _tuning):
        lines += part(results)
    return '\n'.join(lines)


def to_json(results):
    return json.dumps(results, indent=1, sort_keys=True, default=str)
