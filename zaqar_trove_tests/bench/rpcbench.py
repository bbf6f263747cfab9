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


"""call() and cast() through oslo.messaging, rabbit:// and zaqar://.

RPC servers run in ``worker`` processes (one per server, as guests do);
callers are threads of this process sharing one transport, as the
threads of a Trove control-plane service do.
"""

import os
import time
import uuid

from oslo_config import cfg
import oslo_messaging as om

from zaqar_trove_tests.bench import load
from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import opsmeter
from zaqar_trove_tests.bench import spawn
from zaqar_trove_tests.bench import stats
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.stack import opkinds


def new_conf():
    """A private ConfigOpts both drivers can use."""
    conf = cfg.ConfigOpts()
    conf([])
    options.register_global_only_opts(conf)
    return conf


class Client:
    """One transport and an RPC client of ``topic``."""

    def __init__(self, url, topic, timeout=30):
        self.transport = om.get_rpc_transport(new_conf(), url=url)
        self.client = om.get_rpc_client(self.transport, om.Target(
            topic=topic), timeout=timeout)

    def call(self, i=0):
        if self.client.call({}, 'echo', value=i) != i:
            raise AssertionError('wrong reply')

    def cast(self, i=0):
        self.client.cast({}, 'note', value=i)

    def close(self):
        self.transport.cleanup()


def servers(url, topic, count, log_dir):
    """``count`` worker processes, each one RPC server of ``topic``."""
    specs = [{'mode': 'rpc', 'url': url,
              'servers': [[topic, 'bench-%d' % i]]} for i in range(count)]
    return spawn.start_all(specs, os.path.join(log_dir, 'rpc-workers.log'))


def _meter(target, workers):
    sources = dict(target.cpu_sources())
    sources['servers'] = lambda: [w.pid for w in workers]
    sources['callers'] = lambda: [os.getpid()]
    return machine.CpuMeter(sources)


class RpcSystem:
    """RPC servers (worker processes) and a client on one transport.

    ``client_url`` and ``server_url`` replace ``target.url(transport)``
    for either side.
    """

    def __init__(self, target, transport, count, log_dir, client_url=None,
                 server_url=None):
        self.transport = transport
        self.servers = count
        url = target.url(transport)
        topic = 'bench-call-%s' % uuid.uuid4().hex[:8]
        self.workers = servers(server_url or url, topic, count, log_dir)
        try:
            self.client = Client(client_url or url, topic)
        except Exception:
            spawn.stop_all(self.workers)
            raise

    def call(self, i=0):
        self.client.call(i)

    def pids(self):
        return [w.pid for w in self.workers]

    def close(self):
        self.client.close()
        spawn.stop_all(self.workers)


class _Cell:
    """What the rounds of one (system, callers) add up to."""

    def __init__(self, system, callers):
        self.system = system
        self.callers = callers
        self.samples = []
        self.calls = self.errors = 0
        self.error_types = {}
        self.wall = 0.0
        self.cpu = {}
        self.ops = {}

    def add(self, result, cpu, ops=None):
        """One block: ``load.run``, ``CpuMeter`` and ``opsmeter`` figures.

        ``ops`` None (not counted) makes the whole cell's None.
        """
        self.samples += result['samples_ms']
        self.calls += result['calls']
        self.errors += result['errors']
        for name, n in result['error_types'].items():
            self.error_types[name] = self.error_types.get(name, 0) + n
        wall = cpu.pop('wall_s')
        self.wall += wall
        for name, share in cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + share * wall
        if ops is None or self.ops is None:
            self.ops = None
        else:
            self.ops = opkinds.group_add(self.ops, ops)

    def result(self):
        wall = self.wall or 1.0
        return {'transport': self.system.transport,
                'servers': self.system.servers, 'callers': self.callers,
                'calls': self.calls, 'errors': self.errors,
                'error_types': self.error_types, 'wall_s': self.wall,
                'calls_per_s': stats.rate(self.calls, self.wall),
                'latency_ms': stats.summary(self.samples),
                'samples_ms': self.samples,
                'cpu': {name: used / wall for name, used in self.cpu.items()},
                'ops': self.ops}


def interleaved(target, systems, caller_counts, duration, rounds=3,
                warmup=10, echo=print):
    """Latency and calls/s of each system at each number of callers.

    Systems take turns in ``rounds`` short blocks per number of callers,
    so that a shared machine's changing load falls on all of them alike
    and their ratios hold.

    :param systems: objects with ``transport``, ``servers``, ``call(i)``
        and ``pids()`` (the server processes).
    :returns: one cell per (system, callers), in that order, as
        ``load.run`` plus ``transport``, ``servers``, ``cpu`` (share
        of one core per service, ``servers`` and ``callers``) and ``ops``
        (Zaqar operations by group and kind, ``opsmeter``; None if the
        stack does not count them).
    """
    ops = opsmeter.Ops.of(target)
    for system in systems:
        for i in range(warmup):
            system.call(i)
    cells = []
    for callers in caller_counts:
        row = [_Cell(system, callers) for system in systems]
        for _ in range(rounds):
            for cell in row:
                sources = dict(target.cpu_sources())
                sources['servers'] = cell.system.pids
                sources['callers'] = lambda: [os.getpid()]
                counted = opsmeter.Meter(ops).start()
                meter = machine.CpuMeter(sources).start()
                result = load.run(cell.system.call, callers,
                                  duration / float(rounds))
                cpu = meter.stop()
                cell.add(result, cpu, counted.stop())
        for cell in row:
            done = cell.result()
            cells.append(done)
            echo('  %-11s %d server(s) %2d caller(s): p50 %s ms, p90 %s '
                 'ms, %.0f calls/s, %d errors%s' % (
                     done['transport'], done['servers'], callers,
                     _ms(done['latency_ms']['p50']),
                     _ms(done['latency_ms']['p90']), done['calls_per_s'],
                     done['errors'], _ops(done['ops'], done['calls'])))
    return cells


def _ops(ops, n):
    """Zaqar operations per call (or cast), HTTP and websocket, for echo."""
    per = opkinds.per(ops, n)
    if not per:
        return ''
    return '; Zaqar ops each: HTTP %.2f, websocket %.2f' % (
        per['total'].get('http', 0.0), per['total'].get('websocket', 0.0))


def merge_cells(cells, fields):
    """Cells of several rounds merged per value of ``fields``, sorted.

    Each row: the ``fields``, ``calls``, ``errors``, ``wall_s``,
    ``calls_per_s``, ``p50_ms`` and ``cpu_s`` (CPU seconds per service).
    """
    rows = {}
    for cell in cells:
        key = tuple(cell[name] for name in fields)
        row = rows.setdefault(key, dict(zip(fields, key), calls=0, errors=0,
                                        wall_s=0.0, cpu_s={}, samples=[]))
        row['calls'] += cell['calls']
        row['errors'] += cell['errors']
        row['wall_s'] += cell['wall_s']
        for name, share in cell['cpu'].items():
            row['cpu_s'][name] = (row['cpu_s'].get(name, 0.0) +
                                  share * cell['wall_s'])
        row['samples'] += cell['samples_ms']
    out = []
    for key in sorted(rows):
        row = rows[key]
        samples = sorted(row.pop('samples'))
        row['calls_per_s'] = row['calls'] / (row['wall_s'] or 1.0)
        row['p50_ms'] = samples[len(samples) // 2] if samples else None
        out.append(row)
    return out


def casts(target, transport, count, senders, log_dir, timeout=120,
          echo=print):
    """``count`` casts from ``senders`` threads to one server."""
    url = target.url(transport)
    topic = 'bench-cast-%s' % uuid.uuid4().hex[:8]
    workers = servers(url, topic, 1, log_dir)
    client = Client(url, topic)
    try:
        client.call(0)
        return cast_run(target, transport, client.cast, workers, count,
                        senders, timeout, echo)
    finally:
        client.close()
        spawn.stop_all(workers)


def cast_run(target, transport, cast, workers, count, senders, timeout,
             echo=print):
    """``cast(i)`` ``count`` times from ``senders`` threads.

    :param workers: the receiving processes; the first counts ``note``.
    :returns: ``{sent_per_s, received_per_s, received, lost, ops, ...}``;
        received counts what the server executed by ``timeout``; ``ops``
        as ``interleaved``'s.
    """
    counted = opsmeter.Meter(opsmeter.Ops.of(target)).start()
    meter = _meter(target, workers).start()
    started = time.monotonic()
    sent = load.run(cast, senders, timeout, max_calls=count)
    sent_s = time.monotonic() - started
    done = workers[0].wait_count('note', sent['calls'],
                                 max(1, started + timeout -
                                     time.monotonic()))
    received = done['count']
    received_s = done['at'] - started
    cpu = meter.stop()
    ops = counted.stop()
    result = {'transport': transport, 'casts': count, 'senders': senders,
              'sent': sent['calls'], 'send_errors': sent['errors'],
              'sent_per_s': sent['calls'] / sent_s, 'received': received,
              'received_per_s': received / received_s,
              'lost': sent['calls'] - received,
              'send_latency_ms': sent['latency_ms'], 'cpu': cpu, 'ops': ops}
    echo('  %-6s casts: %d sent at %.0f/s, %d received at %.0f/s%s' % (
        transport, result['sent'], result['sent_per_s'], received,
        result['received_per_s'], _ops(ops, received)))
    return result


def _ms(value):
    return '-' if value is None else '%.1f' % value
