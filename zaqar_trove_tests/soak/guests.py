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

"""The soak's guests: a process of RPC servers, one transport each.

Run by ``system.GuestProcess`` as ``python -m
zaqar_trove_tests.soak.guests URL``. Like Trove's guest agent, guest
``ID`` serves ``Target(topic='guestagent.ID', server=ID)`` (``echo`` and
``note``) over a transport of its own and casts ``heartbeat`` to
``trove-conductor`` every ``HEARTBEAT`` s. It keeps no record: what it
runs and sends is reported at once as JSON lines on stdout, so this
process's memory is the drivers' own. Commands on stdin: ``{"cmd":
"add", "id": ID}``, ``{"cmd": "retire", "id": ID}`` (stop serving and
close the transport), ``{"cmd": "stats"}``; it exits at end of input and
dies with its parent.

A retired guest's driver is a web of reference cycles (listeners, push
callbacks, dedupe state) that only Python's full collection frees, and
that runs rarely in a big heap: 5 retirements a minute grew this process
0.3 MiB a minute for the hour. A real guest's memory goes with its VM, so
a ``retire`` command collects at once: the process measures the live
drivers.
"""

import gc
import itertools
import json
import logging
import os
import random
import sys
import threading
import time

from oslo_config import cfg
import oslo_messaging as om
import psutil

from zaqar_trove_tests.bench import worker

#: Seconds between a guest's heartbeats (Trove's report_interval).
HEARTBEAT = 30
#: Threads of a guest's RPC executor: oslo's default (64) would have
#: each guest grow a thread per request it gets until 64, so hundreds
#: of guests would add threads all hour long, whatever the transport.
EXECUTOR_THREADS = 4
CONDUCTOR = 'trove-conductor'


class _Out:
    """JSON lines on stdout, one writer at a time."""

    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, **doc):
        line = json.dumps(doc) + '\n'
        with self.lock:
            sys.stdout.write(line)
            sys.stdout.flush()


class Agent:
    """A guest's endpoints: report every request run."""

    def __init__(self, out, name):
        self.out = out
        self.name = name

    def echo(self, ctxt, key):
        self.out(ev='ran', key=key, by=self.name)
        return key

    def note(self, ctxt, key):
        self.out(ev='ran', key=key, by=self.name)


class Guest:
    """One guest: its transport, its server, its heartbeats."""

    def __init__(self, url, name, out):
        self.name = name
        self.out = out
        self.transport = om.get_rpc_transport(cfg.CONF, url=url)
        self.server = om.get_rpc_server(
            self.transport, om.Target(topic='guestagent.%s' % name,
                                      server=name),
            [Agent(out, name)], executor='threading')
        cfg.CONF.set_override('executor_thread_pool_size', EXECUTOR_THREADS)
        self.conductor = om.get_rpc_client(self.transport,
                                           om.Target(topic=CONDUCTOR))
        self.numbers = itertools.count(1)
        self.server.start()
        self.next_beat = time.monotonic() + random.uniform(0, HEARTBEAT)

    def beat(self):
        key = 'h-%s-%d' % (self.name, next(self.numbers))
        self.out(ev='hb', key=key, state='sending')
        try:
            self.conductor.cast({}, 'heartbeat', key=key)
        except Exception as exc:
            self.out(ev='hb', key=key, state='refused',
                     error=type(exc).__name__)
        else:
            self.out(ev='hb', key=key, state='acked')
        self.next_beat += HEARTBEAT

    def retire(self):
        self.server.stop()
        self.server.wait()
        self.transport.cleanup()


class Guests:
    """The guests of this process and their heartbeat thread."""

    def __init__(self, url, out):
        self.url = url
        self.out = out
        self.guests = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.beater = threading.Thread(target=self._beat, daemon=True)
        self.beater.start()

    def add(self, name):
        guest = Guest(self.url, name, self.out)
        with self.lock:
            self.guests[name] = guest

    def retire(self, name):
        with self.lock:
            guest = self.guests.pop(name)
        guest.retire()

    def _beat(self):
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            with self.lock:
                due = [g for g in self.guests.values() if g.next_beat <= now]
            for guest in due:
                guest.beat()

    def stats(self):
        proc = psutil.Process()
        with self.lock:
            count = len(self.guests)
        return {'guests': count, 'rss': proc.memory_info().rss,
                'threads': threading.active_count(), 'fds': proc.num_fds()}

    def stop(self):
        self.stopping.set()
        for name in list(self.guests):
            self.retire(name)


def main(argv=None):
    worker.die_with_parent()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s: '
                               '%(message)s')
    url = (argv or sys.argv[1:])[0]
    out = _Out()
    guests = Guests(url, out)
    out(ev='ready', pid=os.getpid())
    for line in sys.stdin:
        doc = json.loads(line)
        try:
            if doc['cmd'] == 'add':
                guests.add(doc['id'])
            elif doc['cmd'] == 'retire':
                guests.retire(doc['id'])
                gc.collect()
            elif doc['cmd'] == 'stats':
                out(ev='stats', **guests.stats())
                continue
            out(ev='done', cmd=doc['cmd'], id=doc.get('id'))
        except Exception as exc:
            logging.exception('%s failed', doc)
            out(ev='failed', cmd=doc['cmd'], id=doc.get('id'),
                error='%s: %s' % (type(exc).__name__, exc))
    guests.stop()


if __name__ == '__main__':
    main()
