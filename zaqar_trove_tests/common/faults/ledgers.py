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


"""Ledgers of the fault tests (FLT): what was sent, acknowledged, executed.

A fault test runs a ``Stream`` of casts and calls, each with its own key,
through a fault, and then counts by key: an acknowledged cast never
executed is *lost*, a key executed more than once is *duplicated*. The
``Ledger`` and ``CallLog`` are plain thread-safe records (no transport),
``LedgerEndpoint`` is the RPC endpoint that fills the ledger, and
``report`` sums one run up for the test's report::

    ledger, calls = ledgers.Ledger(), ledgers.CallLog()
    endpoint = ledgers.LedgerEndpoint(ledger, 'server-1')  # on the servers
    stream = ledgers.Stream(client, ledger, calls)
    stream.start()
    ...kill and restart a service...
    stream.stop()
"""

import collections
import logging
import threading
import time

import fixtures
from tempest.lib import exceptions

from zaqar_trove_tests.common import waiters

#: The outcome of a call that returned its own key.
OK = 'ok'
#: The outcome of a call that returned something else (misrouted reply).
WRONG = 'wrong'


class Ledger:
    """Casts by key: sent, acknowledged or refused, and who executed what.

    Calls are recorded here too when their endpoint runs (``executed``),
    so a call executed twice shows as duplicated.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._sent = {}
        self._acked = {}
        self._refused = {}
        self._executed = collections.defaultdict(list)

    def sending(self, key, kind='cast'):
        """``key`` is about to be sent, as a ``cast`` or a ``call``."""
        with self._lock:
            self._sent[key] = kind

    def acked(self, key, at=None):
        """The transport accepted the cast ``key`` (it returned)."""
        with self._lock:
            self._acked[key] = time.monotonic() if at is None else at

    def refused(self, key, error, at=None):
        """The cast ``key`` raised ``error`` to its caller."""
        with self._lock:
            self._refused[key] = (type(error).__name__,
                                  time.monotonic() if at is None else at)

    def executed(self, key, server):
        """An endpoint of ``server`` ran for ``key``."""
        with self._lock:
            self._executed[key].append(server)

    def executions(self, key):
        with self._lock:
            return list(self._executed.get(key, ()))

    def acked_keys(self):
        with self._lock:
            return sorted(self._acked)

    def acked_since(self, moment):
        """``[(time, key)]`` acknowledged at or after ``moment``, in order.

        Times are ``time.monotonic()`` values.
        """
        with self._lock:
            return sorted((t, k) for k, t in self._acked.items()
                          if t >= moment)

    def refused_since(self, moment):
        """Keys refused at or after ``moment``."""
        with self._lock:
            return sorted(k for k, (_, t) in self._refused.items()
                          if t >= moment)

    def refusals(self):
        """``{error type: count}`` of refused casts."""
        with self._lock:
            return dict(collections.Counter(
                name for name, _ in self._refused.values()))

    def lost(self):
        """Acknowledged casts nobody executed."""
        with self._lock:
            return sorted(k for k in self._acked if k not in self._executed)

    def duplicated(self):
        """``{key: executions}`` of every key executed more than once."""
        with self._lock:
            return {k: len(v) for k, v in self._executed.items()
                    if len(v) > 1}

    def strays(self):
        """Executed keys nobody sent (a corrupted or foreign message)."""
        with self._lock:
            return sorted(k for k in self._executed if k not in self._sent)

    def refused_but_executed(self):
        """Casts whose caller saw an error but that ran anyway.

        Allowed (the caller cannot know whether a request whose answer was
        lost was stored), and reported.
        """
        with self._lock:
            return sorted(k for k in self._refused if k in self._executed)

    def settled(self):
        """True once no acknowledged cast is missing."""
        return not self.lost()

    def summary(self):
        """Counts of casts: sent, acked, refused (by error), lost..."""
        with self._lock:
            sent = sum(1 for kind in self._sent.values() if kind == 'cast')
            acked = len(self._acked)
        return {'sent': sent, 'acked': acked, 'refused': self.refusals(),
                'lost': len(self.lost()),
                'duplicated': len(self.duplicated()),
                'refused_but_executed': len(self.refused_but_executed())}


CallResult = collections.namedtuple('CallResult',
                                    'key started ended outcome timeout')


class CallLog:
    """The outcome of every call: ``OK``, ``WRONG`` or an exception name."""

    def __init__(self):
        self._lock = threading.Lock()
        self._results = []

    def add(self, key, started, ended, outcome, timeout):
        with self._lock:
            self._results.append(CallResult(key, started, ended, outcome,
                                            timeout))

    def results(self):
        with self._lock:
            return list(self._results)

    def outcomes(self):
        """``{outcome: count}``."""
        return dict(collections.Counter(r.outcome for r in self.results()))

    def unexpected(self, allowed=(OK, 'MessagingTimeout')):
        """Results whose outcome is not in ``allowed``."""
        return [r for r in self.results() if r.outcome not in allowed]

    def overruns(self, slack, resumed=None):
        """Results that ended more than ``timeout + slack`` after start.

        :param resumed: if given, a call may also end up to ``timeout +
            slack`` after this moment (a driver that holds calls until the
            broker is back).
        """
        return [r for r in self.results()
                if r.ended > max(r.started, resumed or r.started) +
                r.timeout + slack]

    def max_duration(self, outcome=None):
        durations = [r.ended - r.started for r in self.results()
                     if outcome in (None, r.outcome)]
        return max(durations) if durations else None

    def successes_since(self, moment):
        """``OK`` results that ended at or after ``moment``, in order."""
        return sorted((r for r in self.results()
                       if r.outcome == OK and r.ended >= moment),
                      key=lambda r: r.ended)

    def failures_since(self, moment):
        return [r for r in self.results()
                if r.outcome != OK and r.ended >= moment]


class LedgerEndpoint:
    """The stream's endpoint: ``note`` (casts) and ``echo`` (calls)."""

    def __init__(self, ledger, name):
        self.ledger = ledger
        self.name = name

    def note(self, ctxt, key):
        self.ledger.executed(key, self.name)

    def echo(self, ctxt, key):
        self.ledger.executed(key, self.name)
        return key


class Stream:
    """A steady stream of casts and calls from two threads.

    Casts (method ``note``, keys ``c1, c2...``) use the client's own
    ``retry``; calls (``echo``, keys ``k1, k2...``) use ``call_timeout``.
    Both threads pace themselves (``interval``) and record every outcome;
    neither ever raises. ``in_flight()`` tells how long the oldest pending
    request has waited.

    :param prefix: prepended to every key (several streams, one ledger).
    """

    def __init__(self, client, ledger, calls, interval=0.05,
                 call_timeout=5, prefix=''):
        self.client = client
        self.ledger = ledger
        self.calls = calls
        self.interval = interval
        self.call_timeout = call_timeout
        self.prefix = prefix
        self._stop = threading.Event()
        self._threads = []
        self._pending = {}
        self._lock = threading.Lock()

    def start(self):
        for target in (self._cast_loop, self._call_loop):
            thread = threading.Thread(target=target, daemon=True,
                                      name='fault-stream-%s' %
                                      target.__name__)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout=60):
        """Stop sending; wait for the requests in flight to end.

        :raises AssertionError: a thread is still blocked after timeout.
        """
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            raise AssertionError('stream threads %s still blocked %d s '
                                 'after stop' % (stuck, timeout))

    def in_flight(self):
        """Seconds the oldest pending cast or call has waited (0 if none)."""
        with self._lock:
            starts = list(self._pending.values())
        return time.monotonic() - min(starts) if starts else 0.0

    def _begin(self, kind):
        with self._lock:
            self._pending[kind] = time.monotonic()
            return self._pending[kind]

    def _end(self, kind):
        with self._lock:
            self._pending.pop(kind, None)

    def _cast_loop(self):
        number = 0
        while not self._stop.is_set():
            number += 1
            key = '%sc%d' % (self.prefix, number)
            self.ledger.sending(key)
            self._begin('cast')
            try:
                self.client.cast({}, 'note', key=key)
            except Exception as exc:
                self.ledger.refused(key, exc)
            else:
                self.ledger.acked(key)
            finally:
                self._end('cast')
            self._stop.wait(self.interval)

    def _call_loop(self):
        number = 0
        client = self.client.prepare(timeout=self.call_timeout)
        while not self._stop.is_set():
            number += 1
            key = '%sk%d' % (self.prefix, number)
            self.ledger.sending(key, 'call')
            started = self._begin('call')
            try:
                answer = client.call({}, 'echo', key=key)
            except Exception as exc:
                outcome = type(exc).__name__
            else:
                outcome = OK if answer == key else WRONG
            finally:
                self._end('call')
            self.calls.add(key, started, time.monotonic(), outcome,
                           self.call_timeout)
            self._stop.wait(self.interval)

    # -- waiting on the stream -------------------------------------------

    def wait_flowing(self, count=20, timeout=120):
        """Wait until ``count`` calls succeeded and a cast was acked."""
        moment = time.monotonic()
        waiters.wait_until(
            lambda: (len(self.calls.successes_since(moment)) >= count and
                     bool(self.ledger.acked_since(moment))),
            timeout, interval=0.05,
            what='%d calls and a cast through the stream' % count)

    def wait_outage_seen(self, since, stall=1.0, timeout=60):
        """Wait until callers notice an outage that began at ``since``.

        Noticed: a call failed, a cast was refused, or a request has been
        pending for ``stall`` seconds.
        """
        waiters.wait_until(
            lambda: (self.calls.failures_since(since) or
                     self.ledger.refused_since(since) or
                     self.in_flight() >= stall),
            timeout, interval=0.05, what='callers noticing the outage')

    def wait_resumed(self, since, timeout):
        """Seconds from ``since`` until calls and casts succeed again.

        That is until a call succeeded and a cast was acknowledged.

        :raises tempest.lib.exceptions.TimeoutException: not resumed.
        """
        def resumed():
            calls = self.calls.successes_since(since)
            casts = self.ledger.acked_since(since)
            if calls and casts:
                return max(calls[0].ended, casts[0][0])
        back = waiters.wait_until(resumed, timeout, interval=0.05,
                                  what='calls and casts succeeding again')
        return back - since


def wait_settled(ledger, timeout):
    """Give acknowledged casts ``timeout`` s to run; the lost keys after.

    Waits no longer than needed: returns ``[]`` as soon as none is missing.
    """
    try:
        waiters.wait_until(ledger.settled, timeout, interval=0.2,
                           what='every acknowledged cast executed')
    except exceptions.TimeoutException:
        return ledger.lost()
    return []


def report(ledger, calls):
    """What callers saw and what servers ran: columns of the fault table."""
    slowest = calls.max_duration()
    return {'casts': ledger.summary(), 'calls': calls.outcomes(),
            'slowest_call_s': None if slowest is None else round(slowest, 2)}


class LogRecorder(fixtures.Fixture):
    """Records what a logger tree emits, with times, while in use.

    :param name: the logger (and its children), e.g. the driver's
        ``zaqar_trove_tests.rpc``.
    """

    def __init__(self, name, level=logging.DEBUG):
        super().__init__()
        self.name = name
        self.level = level
        self._lock = threading.Lock()
        self._records = []

    def _setUp(self):
        handler = _Collector(self)
        handler.setLevel(self.level)
        logger = logging.getLogger(self.name)
        old_level = logger.level
        if logger.getEffectiveLevel() > self.level:
            logger.setLevel(self.level)
        logger.addHandler(handler)
        self.addCleanup(logger.setLevel, old_level)
        self.addCleanup(logger.removeHandler, handler)

    def add(self, record):
        with self._lock:
            self._records.append((time.monotonic(), record.name,
                                  record.levelno, record.getMessage()))

    def messages(self, contains='', since=0.0, logger=None,
                 level=logging.NOTSET):
        """Messages containing ``contains``, logged since ``since``.

        :param since: a ``time.monotonic()`` value.
        :param logger: only this logger and its children.
        :param level: only records of this level or above.
        """
        with self._lock:
            records = list(self._records)
        return [message for at, name, levelno, message in records
                if at >= since and contains in message and
                levelno >= level and
                (logger is None or name == logger or
                 name.startswith(logger + '.'))]


class _Collector(logging.Handler):

    def __init__(self, recorder):
        super().__init__()
        self.recorder = recorder

    def emit(self, record):
        self.recorder.add(record)
