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

"""Scale-out stage: 1 against 2 Zaqar websocket servers, in one run.

Only on a stack the benchmark started itself, which it then brings up
with ``SERVERS`` websocket servers (``stack up --zaqar-websockets 2``).
Four systems take turns (``rpcbench.interleaved``) at each number of
callers:

- ``floor-ws`` on 1 server: caller and responder both on the first;
- ``floor-ws`` on 2 servers: the caller on the first, the responder on
  the second (each side posts over its own websocket, and its pushes
  come from its own server);
- ``push`` (zaqar://, one RPC server) on 1 server: client and server
  given only the first websocket URL;
- ``push`` on 2 servers: the client given the first, the RPC server the
  second. A deployment gets the same spread from many drivers each
  starting at a random ``websocket_url`` (``rpc.push``); with one client
  and one server, a random start would share a server half the time.

Each row: calls/s, p50, Zaqar CPU ms per call (API, every websocket
server, Redis: ``variant.zaqar_cpu_ms``) and the websocket servers' CPU
(share of one core, summed); each pair: 2 against 1.
"""

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import variant

SERVERS = 2
CALLERS = (8, 32)
WS_SERVICE = 'zaqar-websocket'


def sides(urls, websockets):
    """``(caller/client URL, responder/server URL)`` on ``websockets``.

    1: both on the first; 2: the first and the second.
    """
    if websockets < 1 or websockets > len(urls):
        raise ValueError('%d websocket server(s) asked, the stack has %d' %
                         (websockets, len(urls)))
    return urls[0], urls[websockets - 1]


def _systems(target, log_dir, counts):
    """``[(websockets, system)]``: the floor and push on each count."""
    out = []
    try:
        for count in counts:
            caller, responder = sides(target.ws_urls, count)
            out.append((count, floor.PingPong(
                target, log_dir, ws=True, caller_ws=caller,
                responder_ws=responder)))
        for count in counts:
            caller, responder = sides(target.ws_urls, count)
            out.append((count, rpcbench.RpcSystem(
                target, 'push', 1, log_dir,
                client_url=target.url('push', ws_urls=[caller]),
                server_url=target.url('push', ws_urls=[responder]))))
    except Exception:
        for _count, system in out:
            system.close()
        raise
    return out


def label(cells, counts):
    """Add ``websockets`` to ``rpcbench.interleaved`` cells (in place).

    :param counts: the systems' websocket counts, in the systems' order;
        the cells come per number of callers, each system in turn.
    """
    for i, cell in enumerate(cells):
        cell['websockets'] = counts[i % len(counts)]
    return cells


def summarize(cells):
    """One row per (transport, callers, websockets); rounds merged."""
    rows = {}
    for cell in cells:
        key = (cell['transport'], cell['callers'], cell['websockets'])
        row = rows.setdefault(key, {
            'transport': key[0], 'callers': key[1], 'websockets': key[2],
            'calls': 0, 'errors': 0, 'wall_s': 0.0, 'zaqar_cpu_s': 0.0,
            'ws_cpu_s': 0.0, 'samples_ms': []})
        row['calls'] += cell['calls']
        row['errors'] += cell['errors']
        row['wall_s'] += cell['wall_s']
        row['zaqar_cpu_s'] += variant.zaqar_cpu_ms(cell) * cell[
            'calls'] / 1000.0
        row['ws_cpu_s'] += cell['cpu'].get(WS_SERVICE, 0.0) * cell['wall_s']
        row['samples_ms'] += cell['samples_ms']
    out = []
    for key in sorted(rows):
        row = rows[key]
        wall = row['wall_s'] or 1.0
        samples = sorted(row.pop('samples_ms'))
        row['calls_per_s'] = row['calls'] / wall
        row['p50_ms'] = samples[len(samples) // 2] if samples else None
        row['zaqar_cpu_ms_per_call'] = (
            row['zaqar_cpu_s'] * 1000.0 / row['calls'] if row['calls']
            else None)
        row['ws_cores'] = row['ws_cpu_s'] / wall
        out.append(row)
    return out


def _ratio(a, b):
    return a / b if a is not None and b else None


def ratios(rows, more=SERVERS, one=1):
    """Each figure on ``more`` websocket servers over its value on ``one``.

    :returns: ``[{transport, callers, calls_per_s,
        zaqar_cpu_ms_per_call}]``.
    """
    by = {(r['transport'], r['callers'], r['websockets']): r for r in rows}
    out = []
    for (transport, callers, count), row in sorted(by.items()):
        base = by.get((transport, callers, one))
        if count != more or not base:
            continue
        out.append({'transport': transport, 'callers': callers,
                    'calls_per_s': _ratio(row['calls_per_s'],
                                          base['calls_per_s']),
                    'zaqar_cpu_ms_per_call': _ratio(
                        row['zaqar_cpu_ms_per_call'],
                        base['zaqar_cpu_ms_per_call'])})
    return out


def measure(target, log_dir, duration, callers=CALLERS, rounds=2,
            echo=print):
    """Floor and push on 1 and ``SERVERS`` websocket servers.

    :returns: ``{'websocket_servers', 'rows', 'ratios'}``.
    """
    counts = (1, SERVERS)
    systems = _systems(target, log_dir, counts)
    try:
        cells = rpcbench.interleaved(
            target, [system for _count, system in systems], callers,
            duration, rounds, echo=lambda line: None)
    finally:
        for _count, system in systems:
            system.close()
    rows = summarize(label(cells, [count for count, _ in systems]))
    for row in rows:
        echo('  %-8s %d websocket server(s) %2d callers: %4.0f calls/s, '
             'p50 %5.1f ms, Zaqar %.2f ms/call, websocket servers %.0f %% '
             'of a core, %d errors' % (
                 row['transport'], row['websockets'], row['callers'],
                 row['calls_per_s'], row['p50_ms'] or 0,
                 row['zaqar_cpu_ms_per_call'] or 0, 100 * row['ws_cores'],
                 row['errors']))
    found = ratios(rows)
    for item in found:
        echo('  %-8s %2d callers: %d vs 1 websocket server: %.2fx calls/s, '
             '%.2fx Zaqar CPU per call' % (
                 item['transport'], item['callers'], SERVERS,
                 item['calls_per_s'] or 0,
                 item['zaqar_cpu_ms_per_call'] or 0))
    return {'websocket_servers': len(target.ws_urls), 'rows': rows,
            'ratios': found}
