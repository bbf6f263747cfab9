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

"""The Trove-shaped system of a soak run and its accounting.

In this process: conductors (RPC servers of ``trove-conductor``, run
the guests' heartbeats), taskmanager callers (each second: a call to one
guest, a cast to another), a notifier (``trove.instance.*`` events) and
its listener, each on a transport of its own; the guests run in a
``GuestProcess``. Every request has a key in one ``ledgers.Ledger``
(calls also in a ``CallLog``). Guests are replaced every minute: a
leaving guest gets no new request, its acknowledged casts are given
``SETTLE`` s to run, it stops, and the control plane deletes its queues
(``delete_server_queues``: Trove's instance delete), as nothing in
Zaqar would ever expire them.
"""

import itertools
import json
import logging
import queue
import random
import subprocess
import sys
import threading
import time
import uuid

from oslo_config import cfg
import oslo_messaging as om

from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.soak import guests as soak_guests

LOG = logging.getLogger(__name__)
#: Timeout (s) of the callers' calls.
CALL_TIMEOUT = 30
#: Seconds a leaving guest's acknowledged casts get to run.
SETTLE = 90
#: Seconds a guest process command may take (a start logs in).
COMMAND_TIMEOUT = 120


class GuestProcess:
    """The guests' worker process; its events go to the ledger."""

    def __init__(self, url, ledger, log_path):
        self.ledger = ledger
        self.answers = queue.Queue()
        self.commanding = threading.Lock()
        self._log = open(log_path, 'ab')
        self.proc = subprocess.Popen(
            [sys.executable, '-m', soak_guests.__name__, url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.pid = self._answer('ready')['pid']

    def _read(self):
        for line in self.proc.stdout:
            try:
                self._event(json.loads(line))
            except (ValueError, KeyError, TypeError):
                LOG.error('guest process wrote %r: dropped', line[:200])
        self.answers.put({'ev': 'exited'})

    def _event(self, doc):
        """Book one event of the guest process, or hand it to a command."""
        if doc['ev'] == 'ran':
            self.ledger.executed(doc['key'], doc['by'])
        elif doc['ev'] == 'hb':
            {'sending': lambda: self.ledger.sending(doc['key']),
             'acked': lambda: self.ledger.acked(doc['key']),
             'refused': lambda: self.ledger.refused(doc['key'], doc['error'])
             }[doc['state']]()
        else:
            self.answers.put(doc)

    def _answer(self, event):
        doc = self.answers.get(timeout=COMMAND_TIMEOUT)
        if doc['ev'] != event:
            raise RuntimeError('guest process: %s instead of %s' % (
                doc, event))
        return doc

    def command(self, cmd, **args):
        """Send ``cmd``, wait for its answer (one command at a time)."""
        with self.commanding:
            self.proc.stdin.write((json.dumps(dict(args, cmd=cmd)) +
                                   '\n').encode())
            self.proc.stdin.flush()
            return self._answer('stats' if cmd == 'stats' else 'done')

    def stop(self):
        """End the process: it retires every guest, or is killed."""
        self.proc.stdin.close()
        try:
            self.proc.wait(COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            LOG.warning('guest process still retiring guests after %d s: '
                        'killed', COMMAND_TIMEOUT)
            self.proc.kill()
            self.proc.wait()
        self._log.close()


class Recorder:
    """Endpoints of conductors and the notification listener."""

    def __init__(self, ledger, name):
        self.ledger = ledger
        self.name = name

    def heartbeat(self, ctxt, key):
        self.ledger.executed(key, self.name)

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.ledger.executed(payload['key'], self.name)


class System:
    """The control plane, the guests, the load and the churn."""

    def __init__(self, control_url, guest_url, log_path, guests=200,
                 conductors=2, callers=3, churn=5):
        self.ledger = ledgers.Ledger()
        self.calls = ledgers.CallLog()
        self.control_url = control_url
        self.size = guests
        self.churn_size = churn
        self.live = []
        self.busy = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []
        self.churned = {'joined': 0, 'left': 0, 'unsettled': 0}
        self._running = []
        self._transports = []
        for number in range(conductors):
            self._serve(om.get_rpc_server(
                self._transport(), om.Target(
                    topic=soak_guests.CONDUCTOR, server='conductor-%d' %
                    number),
                [Recorder(self.ledger, 'conductor-%d' % number)],
                executor='threading'))
        notify = self._transport(notifications=True)
        self._serve(om.get_notification_listener(
            notify, [om.Target(topic='notifications')],
            [Recorder(self.ledger, 'listener')], executor='threading'))
        self.notifier = om.Notifier(notify, publisher_id='taskmanager',
                                    driver='messaging',
                                    topics=['notifications'])
        self.control = self._transport()
        self.callers = [self._transport() for _ in range(callers)]
        self.guests = GuestProcess(guest_url, self.ledger, log_path)

    def _transport(self, notifications=False):
        get = (om.get_notification_transport if notifications
               else om.get_rpc_transport)
        transport = get(cfg.CONF, url=self.control_url)
        self._transports.append(transport)
        return transport

    def _serve(self, runner):
        runner.start()
        self._running.append(runner)

    # -- guests ----------------------------------------------------------

    def join(self):
        """A new guest (instance) joins; it serves once this returns."""
        name = uuid.uuid4().hex[:12]
        self.guests.command('add', id=name)
        with self.lock:
            self.live.append(name)
            self.busy[name] = 0
        self.churned['joined'] += 1

    def leave(self):
        """The oldest guest leaves (its instance is deleted)."""
        with self.lock:
            name = self.live.pop(0)
        deadline = time.monotonic() + SETTLE
        while time.monotonic() < deadline and (
                self.busy[name] or self._unsettled(name)):
            self.stopping.wait(0.2)
        if self._unsettled(name):
            self.churned['unsettled'] += 1
        self.guests.command('retire', id=name)
        self.control._driver.delete_server_queues(
            om.Target(topic='guestagent.%s' % name, server=name))
        with self.lock:
            self.busy.pop(name)
        self.churned['left'] += 1

    def _unsettled(self, name):
        marker = '-%s-' % name
        return any(marker in key for key in self.ledger.lost())

    def _pick(self):
        with self.lock:
            name = random.choice(self.live)
            self.busy[name] += 1
        return name

    def _done(self, name):
        with self.lock:
            if name in self.busy:   # gone if it left with this in flight
                self.busy[name] -= 1

    # -- load ------------------------------------------------------------

    def _caller(self, number, transport, period):
        keys = itertools.count(1)
        while not self.stopping.wait(period):
            name = self._pick()
            try:
                self._call(transport, name, 'k-%s-%d-%d' % (
                    name, number, next(keys)))
            finally:
                self._done(name)
            name = self._pick()
            try:
                self._cast(transport, name, 'c-%s-%d-%d' % (
                    name, number, next(keys)))
            finally:
                self._done(name)

    def _client(self, transport, name):
        return om.get_rpc_client(transport, om.Target(
            topic='guestagent.%s' % name, server=name), timeout=CALL_TIMEOUT)

    def _call(self, transport, name, key):
        self.ledger.sending(key, 'call')
        started = time.monotonic()
        try:
            answer = self._client(transport, name).call({}, 'echo', key=key)
        except Exception as exc:
            outcome = type(exc).__name__
        else:
            outcome = ledgers.OK if answer == key else ledgers.WRONG
        self.calls.add(key, started, time.monotonic(), outcome,
                       CALL_TIMEOUT)

    def _cast(self, transport, name, key):
        self.ledger.sending(key)
        try:
            self._client(transport, name).cast({}, 'note', key=key)
        except Exception as exc:
            self.ledger.refused(key, exc)
        else:
            self.ledger.acked(key)

    def _notify(self, period):
        keys = itertools.count(1)
        while not self.stopping.wait(period):
            key = 'n-%d' % next(keys)
            self.ledger.sending(key)
            try:
                self.notifier.info({}, 'trove.instance.exists', {'key': key})
            except Exception as exc:
                self.ledger.refused(key, exc)
            else:
                self.ledger.acked(key)

    def _churn(self, period):
        while not self.stopping.wait(period):
            for _ in range(self.churn_size):
                self.join()
                self.leave()

    def start(self, call_period=1.0, notify_period=5.0, churn_period=60.0):
        """Start the guests, then the load; returns once all runs."""
        for _ in range(self.size):
            self.join()
        self.churned['joined'] = 0
        targets = [(self._notify, (notify_period,)),
                   (self._churn, (churn_period,))]
        targets += [(self._caller, (n, t, call_period))
                    for n, t in enumerate(self.callers)]
        for target, args in targets:
            thread = threading.Thread(target=target, args=args, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, settle=SETTLE):
        """Stop the load, give acknowledged requests ``settle`` s to run.

        :returns: the acknowledged keys never executed.
        """
        self.stopping.set()
        for thread in self.threads:
            thread.join(CALL_TIMEOUT + SETTLE)
        deadline = time.monotonic() + settle
        while self.ledger.lost() and time.monotonic() < deadline:
            time.sleep(0.5)
        lost = self.ledger.lost()
        LOG.info('load stopped: %s; calls %s', self.ledger.summary(),
                 self.calls.outcomes())
        self.guests.stop()
        try:
            for runner in self._running:
                runner.stop()
                runner.wait()
            for transport in self._transports:
                transport.cleanup()
        except Exception:   # the books are closed: report them anyway
            LOG.exception('control plane teardown failed')
        return lost
