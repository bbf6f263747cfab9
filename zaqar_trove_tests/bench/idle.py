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


"""Idle cost per guest: N idle RPC servers, each its own topic.

As Trove has one topic per instance (``guestagent.<id>``, with the
instance as server), each guest is its own transport (own websocket, own
HTTP connections) serving ``Target(topic, server)``. Guests share worker
processes (``per_process`` each) to fit on one machine. After start-up
settles, one window measures the HTTP requests the guests send, the CPU
of Zaqar (API and websocket servers) and Redis, and the memory of the
workers; then calls to one guest measure its latency while the others
idle. Guests authenticate with one token (``auth=token``): a thousand
keystone logins at once would measure keystone, not the transport.
"""

import os
import time
import uuid

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import load
from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import spawn
from zaqar_trove_tests.bench import stats

ZAQAR_SERVICES = ('zaqar', 'zaqar-websocket', 'redis')


def _topics(count):
    ids = [uuid.uuid4().hex[:12] for _ in range(count)]
    return [['guestagent.%s' % i, i] for i in ids]


def _split(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def _sum_requests(docs):
    total = 0
    for doc in docs:
        total += sum(doc.get('requests', {}).values())
    return total


def baseline(target, window):
    """CPU of Zaqar and Redis with no guest, over ``window`` seconds."""
    meter = machine.CpuMeter(
        {name: get for name, get in target.cpu_sources().items()
         if name in ZAQAR_SERVICES}).start()
    time.sleep(window)
    cpu = meter.stop()
    cpu['zaqar_redis'] = sum(cpu[name] for name in ZAQAR_SERVICES)
    return cpu


def step(target, delivery, count, window, log_dir, per_process=250,
         calls=30, settle=5.0, driver_options=None, echo=print):
    """One idle step: ``count`` guests for ``window`` seconds.

    :returns: ``{delivery, guests, requests_per_s, requests_per_guest_s,
        cpu (share of a core per service, zaqar_redis), rss_per_guest,
        start_s, call_ms (summary), ...}``.
    """
    url = target.url(delivery, token_auth=True, **(driver_options or {}))
    topics = _topics(count)
    groups = _split(topics, per_process)
    specs = [{'mode': 'rpc', 'url': url, 'servers': group,
              'start_threads': 16} for group in groups]
    started = time.monotonic()
    workers = spawn.start_all(specs, os.path.join(log_dir, 'idle.log'),
                              ready_timeout=900)
    try:
        start_s = time.monotonic() - started
        settle_s = _settle(workers, settle)
        sources = {name: get for name, get in target.cpu_sources().items()
                   if name in ZAQAR_SERVICES}
        sources['guests'] = lambda: [w.pid for w in workers]
        before = [w.stats() for w in workers]
        meter = machine.CpuMeter(sources).start()
        time.sleep(window)
        cpu = meter.stop()
        after = [w.stats() for w in workers]
        requests = _sum_requests(after) - _sum_requests(before)
        cpu['zaqar_redis'] = sum(cpu[name] for name in ZAQAR_SERVICES)
        empty_rss = sum(w.ready['before']['rss'] for w in workers)
        rss = sum(doc['rss'] for doc in after)
        latencies, floor_ms = _calls(target, delivery, topics[0][0],
                                     calls, log_dir)
    finally:
        spawn.stop_all(workers)
    result = {
        'delivery': delivery, 'guests': count, 'window_s': cpu['wall_s'],
        'processes': len(workers), 'start_s': start_s,
        'settle_s': settle_s,
        'requests': requests,
        'requests_per_s': requests / cpu['wall_s'],
        'requests_per_guest_s': requests / cpu['wall_s'] / count,
        'request_kinds': _kinds(before, after),
        'cpu': cpu, 'rss_per_guest': (rss - empty_rss) / count,
        'threads': sum(doc['threads'] for doc in after),
        'call_ms': stats.summary(latencies),
        'call_samples_ms': latencies,
        'floor_ms': stats.summary(floor_ms),
        'call_vs_floor': stats.ratio(
            stats.summary(latencies)['p50'], stats.summary(floor_ms)['p50']),
    }
    echo('  %-4s %5d guests: %.1f req/s (%.3f per guest), Zaqar+Redis '
         '%.1f %% of a core, %.0f KiB per guest, call p50 %.1f ms '
         '(started in %.0f s)' % (
             delivery, count, result['requests_per_s'],
             result['requests_per_guest_s'], 100 * cpu['zaqar_redis'],
             result['rss_per_guest'] / 1024.0, result['call_ms']['p50'],
             start_s))
    return result


def _calls(target, delivery, topic, count, log_dir, rounds=3):
    """Calls to one guest, taking turns with floor calls.

    The floor calls, measured in the same moments, tell how much of a
    change between steps is the machine's load rather than the guests.
    :returns: ``(call latencies, floor latencies)`` in ms.
    """
    client = rpcbench.Client(target.url(delivery), topic)
    ping = floor.PingPong(target, log_dir)
    calls, floors = [], []
    try:
        client.call(0)
        ping.call()
        for _ in range(rounds):
            calls += load.sequential(client.call, count // rounds)
            floors += load.sequential(ping.call, count // rounds)
    finally:
        ping.close()
        client.close()
    return calls, floors


def _settle(workers, least, most=60.0, step=2.0):
    """Wait until start-up traffic (catch-up reads) has died down.

    At least ``least`` seconds, then until the guests' request rate over
    ``step`` seconds stops falling (within 20 %, or below one request per
    second: push), at most ``most`` seconds. :returns: the seconds waited.
    """
    started = time.monotonic()
    time.sleep(least)
    last = _sum_requests(w.stats() for w in workers)
    rate = None
    while time.monotonic() - started < most:
        time.sleep(step)
        now = _sum_requests(w.stats() for w in workers)
        new_rate = (now - last) / step
        if new_rate < 1.0 or (rate is not None and new_rate >= 0.8 * rate):
            break
        last, rate = now, new_rate
    return time.monotonic() - started


def _kinds(before, after):
    out = {}
    for b, a in zip(before, after):
        for kind, n in a.get('requests', {}).items():
            out[kind] = out.get(kind, 0) + n - b.get('requests', {}).get(
                kind, 0)
    return {k: v for k, v in out.items() if v}


#: Keystone's default token lifetime (s): Zaqar's websocket server closes
#: a connection when its token expires, unless the guest authenticated it
#: again with a new token (keystone auth does, shortly before).
TOKEN_LIFETIME = 3600


def _cpu(primitives, name, services=('zaqar', 'zaqar-websocket', 'redis')):
    cpu = (primitives.get(name) or {}).get('cpu_ms') or {}
    return sum(cpu.get(s, 0.0) for s in services) / 1000.0


def project(step, primitives, options):
    """What a push step costs once its rare events are counted.

    A window of seconds sees the pings but neither the safety reads
    (every ``push_safety_interval``) nor the authentication a guest
    renews in place before its token expires (keystone auth), nor the
    reconnection at half the subscription TTL. Their cost per guest is the
    measured CPU of the primitives they are made of, spread over their
    period: safety reads are empty claims (the fanout queue too when
    ``push_safety_interval`` < ``fanout_ttl``); an authentication costs
    what a websocket connection does; a reconnection adds three
    subscriptions, three deletions of the old ones (as costly) and three
    catch-up reads.

    :param options: ``{push_safety_interval, fanout_ttl,
        push_subscription_ttl}``.
    :returns: ``{safety, reauth, reconnect, keystone, zaqar_redis}``,
        shares of a core for ``step['guests']`` guests; ``zaqar_redis``
        adds the window's measurement.
    """
    guests = step['guests']
    reads = 2 + (1 if options['push_safety_interval'] <
                 options['fanout_ttl'] else 0)
    empty_read = _cpu(primitives, 'claim_empty')
    safety = guests * reads * empty_read / options['push_safety_interval']
    auth = _cpu(primitives, 'ws_connect')
    reauth = guests * auth / TOKEN_LIFETIME
    renewal = options['push_subscription_ttl'] / 2.0
    reconnect = guests * (auth + 6 * _cpu(primitives, 'subscribe') +
                          3 * empty_read) / renewal
    keystone = guests * _cpu(primitives, 'ws_connect', ('keystone',)) * (
        1.0 / TOKEN_LIFETIME + 1.0 / renewal)
    return {'safety': safety, 'reauth': reauth, 'reconnect': reconnect,
            'keystone': keystone,
            'zaqar_redis': (step['cpu']['zaqar_redis'] + safety + reauth +
                            reconnect)}


def driver_defaults():
    """The driver's defaults ``project`` needs."""
    from zaqar_trove_tests.rpc import options
    defaults = {opt.dest: opt.default for opt in options.DRIVER_OPTS}
    return {name: defaults[name] for name in (
        'push_safety_interval', 'fanout_ttl', 'push_subscription_ttl')}
