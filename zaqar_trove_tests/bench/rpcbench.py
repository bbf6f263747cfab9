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
from zaqar_trove_tests.bench import spawn
from zaqar_trove_tests.rpc import options


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


def call_matrix(target, transport, server_counts, caller_counts, duration,
                log_dir, warmup=20, echo=print):
    """Latency and calls/s for each (servers, callers) on one transport.

    :returns: list of cells ``{transport, servers, callers, ...load.run,
        cpu}``.
    """
    url = target.url(transport)
    cells = []
    for count in server_counts:
        topic = 'bench-call-%s' % uuid.uuid4().hex[:8]
        workers = servers(url, topic, count, log_dir)
        client = Client(url, topic)
        try:
            for i in range(warmup):
                client.call(i)
            for callers in caller_counts:
                meter = _meter(target, workers).start()
                result = load.run(client.call, callers, duration)
                result['cpu'] = meter.stop()
                result.update(transport=transport, servers=count)
                cells.append(result)
                lat = result['latency_ms']
                echo('  %-6s %d server(s) %2d caller(s): p50 %s ms, '
                     '%.0f calls/s, %d errors' % (
                         transport, count, callers, _ms(lat['p50']),
                         result['calls_per_s'], result['errors']))
        finally:
            client.close()
            spawn.stop_all(workers)
    return cells


def casts(target, transport, count, senders, log_dir, timeout=120,
          echo=print):
    """``count`` casts from ``senders`` threads to one server.

    :returns: ``{sent_per_s, received_per_s, received, ...}``; received
        counts what the server executed by ``timeout``.
    """
    url = target.url(transport)
    topic = 'bench-cast-%s' % uuid.uuid4().hex[:8]
    workers = servers(url, topic, 1, log_dir)
    client = Client(url, topic)
    try:
        client.call(0)
        meter = _meter(target, workers).start()
        started = time.monotonic()
        sent = load.run(client.cast, senders, timeout, max_calls=count)
        sent_s = time.monotonic() - started
        done = workers[0].wait_count('note', sent['calls'],
                                     max(1, started + timeout -
                                         time.monotonic()))
        received = done['count']
        received_s = done['at'] - started
        cpu = meter.stop()
    finally:
        client.close()
        spawn.stop_all(workers)
    result = {'transport': transport, 'casts': count, 'senders': senders,
              'sent': sent['calls'], 'send_errors': sent['errors'],
              'sent_per_s': sent['calls'] / sent_s, 'received': received,
              'received_per_s': received / received_s,
              'send_latency_ms': sent['latency_ms'], 'cpu': cpu}
    echo('  %-6s casts: %d sent at %.0f/s, %d received at %.0f/s' % (
        transport, result['sent'], result['sent_per_s'], received,
        result['received_per_s']))
    return result


def _ms(value):
    return '-' if value is None else '%.1f' % value
