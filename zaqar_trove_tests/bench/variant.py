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

"""Zaqar variants stage: stock Zaqar against the opt-in variants.

Only on a stack the benchmark started itself, like ``sweep``: zaqar.conf
is rewritten for each setting (stock, each variant alone, all of them)
and both Zaqar services restarted; the HTTP floor call and a zaqar://
push call are measured at each number of callers, the settings taking
turns over the rounds, and the stack is finally restored.

A setting's *capacity* is what 2 cores of Zaqar (API, websocket server,
Redis) would carry: ``2000 / Zaqar CPU ms per call``. On this machine the
callers and responders share the cores with Zaqar, so calls/s alone
understates what a Zaqar-only host gains; both are reported.
"""

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import variants

#: The services whose CPU a call costs Zaqar.
ZAQAR_SERVICES = ('zaqar', 'zaqar-websocket', 'redis')
CORES = 2


def settings():
    """Stock, each variant alone, then all of them together."""
    names = sorted(variants.VARIANTS)
    return [()] + [(name,) for name in names] + [tuple(names)]


def label(setting):
    return '+'.join(setting) or 'stock'


def configure(stack, setting):
    """Rewrite the stack's zaqar.conf for ``setting``; restart Zaqar."""
    with stack.lock('bench: zaqar variant', timeout=60):
        data = stack.state()
        data['settings']['zaqar_variants'] = list(setting)
        stack.write_state(data)
        bringup.write_files({stack.paths.zaqar_conf: configs.render_ini(
            configs.zaqar_sections(stack.paths, data['settings']))})
    for name in ['zaqar'] + configs.ws_services(data['settings']):
        stack.service(name).restart()


def current(stack):
    return tuple(stack.state()['settings'].get('zaqar_variants') or ())


def zaqar_cpu_ms(row):
    """Zaqar's CPU ms per call of a ``rpcbench.merge_cells`` row."""
    return sum(row['cpu_s'].get(name, 0.0) for name in ZAQAR_SERVICES) * (
        1000.0 / (row['calls'] or 1))


def _systems(target, log_dir):
    systems = [floor.PingPong(target, log_dir)]
    try:
        systems.append(rpcbench.RpcSystem(target, 'push', 1, log_dir))
    except Exception:
        systems[0].close()
        raise
    return systems


def _one(target, log_dir, callers, duration):
    systems = _systems(target, log_dir)
    try:
        return rpcbench.interleaved(target, systems, callers, duration,
                                    rounds=1, echo=lambda line: None)
    finally:
        for system in systems:
            system.close()


def summarize(setting, cells):
    """One row per (transport, callers) of a setting's cells, all rounds.

    :param cells: ``rpcbench.interleaved`` cells of several rounds.
    """
    out = []
    for row in rpcbench.merge_cells(cells, ('transport', 'callers')):
        row['variant'] = label(setting)
        row['zaqar_cpu_ms_per_call'] = zaqar_cpu_ms(row)
        row['cores'] = CORES
        row['capacity_per_s'] = CORES * 1000.0 / (
            row['zaqar_cpu_ms_per_call'] or 1.0)
        out.append(row)
    return out


def gains(rows):
    """Each row gets ``vs_stock``: its ratios to stock's same cell."""
    stock = {(r['transport'], r['callers']): r for r in rows
             if r['variant'] == 'stock'}
    for row in rows:
        base = stock.get((row['transport'], row['callers']))
        if not base:
            continue
        row['vs_stock'] = {
            key: row[key] / base[key] if base[key] else None
            for key in ('calls_per_s', 'capacity_per_s')}
    return rows


def measure(target, log_dir, duration, callers=(1, 8, 32), rounds=2,
            echo=print):
    """Every setting in turn, ``rounds`` times; the stack restored after.

    :returns: rows (``summarize``) with ``vs_stock`` (``gains``).
    """
    stack = target.stack
    original = current(stack)
    chosen = settings()
    cells = {setting: [] for setting in chosen}
    try:
        for _ in range(rounds):
            for setting in chosen:
                configure(stack, setting)
                cells[setting] += _one(target, log_dir, callers,
                                       duration / float(rounds))
    finally:
        configure(stack, original)
    rows = gains([row for setting in chosen
                  for row in summarize(setting, cells[setting])])
    for row in rows:
        ratio = row.get('vs_stock') or {}
        echo('  %-32s %-5s %2d callers: %4.0f calls/s, p50 %5.1f ms, '
             'Zaqar %.2f ms/call (capacity %.0f/s on %d cores)%s' % (
                 row['variant'], row['transport'], row['callers'],
                 row['calls_per_s'], row['p50_ms'] or 0,
                 row['zaqar_cpu_ms_per_call'], row['capacity_per_s'], CORES,
                 ', %.2fx calls/s, %.2fx capacity' % (
                     ratio['calls_per_s'], ratio['capacity_per_s'])
                 if ratio else ''))
    return rows
