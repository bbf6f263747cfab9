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

"""Scale-out stage: 1 against 2 websocket servers and 1 against 2 pools.

Only on a stack the benchmark started itself, which it then brings up
with ``SERVERS`` websocket servers and ``POOLS`` Redis servers as Zaqar
pools (``stack up --zaqar-websockets 2 --zaqar-pools 2``). Six systems
take turns (``rpcbench.interleaved``) at each number of callers: the
``floor-ws`` call and ``push`` (zaqar://, one RPC server) on each of

- 1 websocket server, 1 pool: both sides on the first websocket server;
- 2 websocket servers, 1 pool: the floor's caller on the first server and
  its responder on the second (each side posts over its own websocket,
  and its pushes come from its own server); the zaqar:// client given
  only the first ``websocket_url``, its RPC server only the second. A
  deployment gets this spread from many drivers each starting at a random
  ``websocket_url`` (``rpc.push``); with one client and one server, a
  random start would share a server half the time;
- 1 websocket server, 2 pools.

Zaqar places a queue on a pool when it is created (weighted at random):
the 1-pool systems are made, and their queues created by a first call,
while the second pool weighs 0; then both weigh 100 and the 2-pool
systems are made (their few queues may still share one pool: recorded
as Zaqar chose, not forced).

Each row: calls/s, p50, Zaqar CPU ms per call (API, every websocket
server, every Redis: ``variant.zaqar_cpu_ms``) and the websocket servers'
and Redis servers' CPU (share of one core, summed); each pair: 2 against
1 of the axis that differs.
"""

import requests

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import rawzaqar
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import variant
from zaqar_trove_tests.stack import configs

SERVERS = 2
POOLS = 2
CALLERS = (8, 32)
WS_SERVICE = 'zaqar-websocket'
#: ``(websocket servers, pools)`` of the systems, in the order they are
#: made: the 1-pool ones first (the second pool weighs 0 meanwhile).
SETUPS = ((1, 1), (SERVERS, 1), (1, POOLS))


def sides(urls, websockets):
    """``(caller/client URL, responder/server URL)`` on ``websockets``.

    1: both on the first; 2: the first and the second.
    """
    if websockets < 1 or websockets > len(urls):
        raise ValueError('%d websocket server(s) asked, the stack has %d' %
                         (websockets, len(urls)))
    return urls[0], urls[websockets - 1]


def weigh_pool(settings, token, name, weight):
    """Set pool ``name``'s weight (Zaqar admin API, PATCH)."""
    resp = requests.patch(
        '%s/v2/pools/%s' % (configs.zaqar_url(settings), name),
        json={'weight': weight},
        headers={'X-Auth-Token': token,
                 'Client-ID': '3381af92-2b9e-11e3-b191-71861300734c'},
        timeout=30)
    if resp.status_code != 200:
        raise RuntimeError('pool %s weight %d: %d %s' % (
            name, weight, resp.status_code, resp.text[:200]))


def _admin_token(settings):
    return rawzaqar.token_for(
        configs.keystone_url(settings), configs.ADMIN_USER,
        settings['secrets']['admin_password'], configs.ADMIN_PROJECT,
        configs.DOMAIN)[0]


def _make(target, log_dir, websockets):
    """The floor and push on ``websockets``; a first call of each."""
    caller, responder = sides(target.ws_urls, websockets)
    made = [floor.PingPong(target, log_dir, ws=True, caller_ws=caller,
                           responder_ws=responder)]
    try:
        made.append(rpcbench.RpcSystem(
            target, 'push', 1, log_dir,
            client_url=target.url('push', ws_urls=[caller]),
            server_url=target.url('push', ws_urls=[responder])))
        for system in made:
            system.call(0)
    except Exception:
        for system in made:
            system.close()
        raise
    return made


def _systems(target, log_dir, setups):
    """``[((websockets, pools), system)]`` for ``setups``."""
    pools = configs.pools(target.settings)
    token = _admin_token(target.settings) if pools else None
    out = []
    try:
        for websockets, count in setups:
            if count > len(pools or [None]):
                raise ValueError('%d pools asked, the stack has %d' % (
                    count, len(pools)))
            for name, _uri in pools[1:]:
                weigh_pool(target.settings, token, name,
                           100 if count > 1 else 0)
            out += [((websockets, count), system)
                    for system in _make(target, log_dir, websockets)]
    except Exception:
        for _setup, system in out:
            system.close()
        raise
    finally:
        for name, _uri in pools[1:]:
            weigh_pool(target.settings, token, name, 100)
    return out


def label(cells, setups):
    """Add ``websockets`` and ``pools`` to ``rpcbench.interleaved`` cells.

    :param setups: the systems' ``(websockets, pools)``, in the systems'
        order; the cells come per number of callers, each system in turn.
    """
    for i, cell in enumerate(cells):
        cell['websockets'], cell['pools'] = setups[i % len(setups)]
    return cells


def summarize(cells):
    """One row per (transport, callers, websockets, pools); rounds merged."""
    out = []
    for row in rpcbench.merge_cells(
            cells, ('transport', 'callers', 'websockets', 'pools')):
        wall = row['wall_s'] or 1.0
        row['zaqar_cpu_ms_per_call'] = (
            variant.zaqar_cpu_ms(row) if row['calls'] else None)
        row['ws_cores'] = row['cpu_s'].get(WS_SERVICE, 0.0) / wall
        row['redis_cores'] = row['cpu_s'].get('redis', 0.0) / wall
        out.append(row)
    return out


def _ratio(a, b):
    return a / b if a is not None and b else None


def ratios(rows, axis='websockets', more=2):
    """Each figure with ``more`` of ``axis`` over its value with 1.

    The other axis stays at 1.

    :param axis: ``websockets`` or ``pools``.
    :returns: ``[{axis, transport, callers, calls_per_s,
        zaqar_cpu_ms_per_call}]``.
    """
    other = 'pools' if axis == 'websockets' else 'websockets'
    by = {(r['transport'], r['callers'], r[axis]): r for r in rows
          if r[other] == 1}
    out = []
    for (transport, callers, count), row in sorted(by.items()):
        base = by.get((transport, callers, 1))
        if count != more or not base:
            continue
        out.append({'axis': axis, 'transport': transport,
                    'callers': callers,
                    'calls_per_s': _ratio(row['calls_per_s'],
                                          base['calls_per_s']),
                    'zaqar_cpu_ms_per_call': _ratio(
                        row['zaqar_cpu_ms_per_call'],
                        base['zaqar_cpu_ms_per_call'])})
    return out


def measure(target, log_dir, duration, callers=CALLERS, rounds=2,
            echo=print):
    """Floor and push on each of ``SETUPS`` (those the stack allows).

    :returns: ``{'websocket_servers', 'pools', 'rows', 'ratios'}``.
    """
    pools = len(configs.pools(target.settings)) or 1
    setups = [(w, p) for w, p in SETUPS
              if w <= len(target.ws_urls) and p <= pools]
    systems = _systems(target, log_dir, setups)
    try:
        cells = rpcbench.interleaved(
            target, [system for _setup, system in systems], callers,
            duration, rounds, echo=lambda line: None)
    finally:
        for _setup, system in systems:
            system.close()
    rows = summarize(label(cells, [setup for setup, _ in systems]))
    for row in rows:
        echo('  %-8s %d websocket server(s) %d pool(s) %2d callers: %4.0f '
             'calls/s, p50 %5.1f ms, Zaqar %.2f ms/call, websocket servers '
             '%.0f %%, Redis %.0f %% of a core, %d errors' % (
                 row['transport'], row['websockets'], row['pools'],
                 row['callers'], row['calls_per_s'], row['p50_ms'] or 0,
                 row['zaqar_cpu_ms_per_call'] or 0, 100 * row['ws_cores'],
                 100 * row['redis_cores'], row['errors']))
    found = ratios(rows, 'websockets', SERVERS) + ratios(rows, 'pools',
                                                         POOLS)
    for item in found:
        echo('  %-8s %2d callers: 2 vs 1 %s: %.2fx calls/s, %.2fx Zaqar '
             'CPU per call' % (
                 item['transport'], item['callers'], item['axis'],
                 item['calls_per_s'] or 0,
                 item['zaqar_cpu_ms_per_call'] or 0))
    return {'websocket_servers': len(target.ws_urls), 'pools': pools,
            'rows': rows, 'ratios': found}
