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

"""Harness instrumentation: each Zaqar process counts what it serves.

Not part of Zaqar: the local stack adds it so that the benchmark can
report Zaqar operations per call counted on the services' side. Kinds
are ``opkinds``'. Counting is a dict increment under a lock and never
raises into the request.

Each process answers snapshot requests through files in
``$ZTT_OPS_DIR`` (set by ``services``; no counting without it): the
benchmark writes a stamp to ``request``; a daemon thread of every
counting process polls that file and writes its counts with the stamp
it answers to ``<service>-<pid>-<start>.json`` (atomically), and once when it
starts. No signals: gunicorn gives SIGUSR1/SIGUSR2 their own meanings.
"""

import json
import logging
import os
import threading
import time

from zaqar_trove_tests.stack import opkinds

DIR_ENV = 'ZTT_OPS_DIR'
REQUEST = 'request'
#: Seconds between two looks at the request file.
POLL_S = 0.05

LOG = logging.getLogger(__name__)


def read_stamp(path):
    """The integer in ``path``; 0 if absent or unreadable."""
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def write_json(path, data):
    """Write ``data`` to ``path`` atomically (temporary file, rename)."""
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(data, f)
    os.replace(tmp, path)


class Counter:
    """Counts by kind in one process; answers snapshot requests."""

    def __init__(self, service):
        self.service = service
        self._counts = {}
        self._lock = threading.Lock()
        self._thread = None
        self._pid = None
        self._stop = threading.Event()

    def count(self, kind):
        """Add one ``kind``; never raises."""
        try:
            with self._lock:
                self._counts[kind] = self._counts.get(kind, 0) + 1
        except Exception:  # pragma: no cover - a dict increment
            pass

    def counts(self):
        with self._lock:
            return dict(self._counts)

    def start(self, directory=None):
        """Answer snapshot requests from a daemon thread.

        Started in the process that serves (after gunicorn's fork: a
        thread does not survive it). Returns False when there is no
        directory (``$ZTT_OPS_DIR`` unset): the process only counts.
        """
        directory = directory or os.environ.get(DIR_ENV)
        if not directory or self._pid == os.getpid():
            return False
        os.makedirs(directory, exist_ok=True)
        self._pid = os.getpid()
        # The start time too: a pid reused later gets a file of its own.
        path = os.path.join(directory, '%s-%d-%x.json' % (
            self.service, self._pid, time.time_ns()))
        stamp = read_stamp(os.path.join(directory, REQUEST))
        self._answer(path, stamp)
        self._thread = threading.Thread(
            target=self._loop, args=(directory, path, stamp),
            name='ztt-opcounter', daemon=True)
        self._thread.start()
        return True

    def _answer(self, path, stamp):
        write_json(path, {'service': self.service, 'pid': os.getpid(),
                          'stamp': stamp, 'counts': self.counts()})

    def _loop(self, directory, path, answered):
        # Reading a few bytes 20 times a second costs next to nothing; an
        # mtime test could miss two requests within its granularity.
        request = os.path.join(directory, REQUEST)
        while not self._stop.wait(POLL_S):
            stamp = read_stamp(request)
            if stamp and stamp != answered:
                answered = stamp
                try:
                    self._answer(path, stamp)
                except Exception:
                    LOG.exception('ops counter: cannot answer %s', request)

    def stop(self):
        """End the answering thread (tests)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class CountingApp:
    """WSGI middleware: counts each request by ``opkinds.http_kind``."""

    def __init__(self, app, counter):
        self.app = app
        self.counter = counter

    def __call__(self, environ, start_response):
        try:
            kind = opkinds.http_kind(environ.get('REQUEST_METHOD', ''),
                                     environ.get('PATH_INFO', ''),
                                     environ.get('QUERY_STRING', ''))
        except Exception:
            kind = opkinds.OTHER
        self.counter.count(kind)
        return self.app(environ, start_response)


def _wrap(owner, name, kind_of, counter, static=False):
    """Replace ``owner.name`` by a function counting ``kind_of(args)``."""
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        try:
            kinds = kind_of(*args, **kwargs)
        except Exception:
            kinds = opkinds.OTHER
        for kind in kinds if isinstance(kinds, tuple) else (kinds,):
            counter.count(kind)
        return original(*args, **kwargs)

    counted.__wrapped__ = original
    setattr(owner, name, staticmethod(counted) if static else counted)


def _action(payload, req=None):
    return opkinds.ws_kind(payload.get('action')
                           if isinstance(payload, dict) else None)


def _webhook(self, data, proto_id):
    return ('webhook', 'push' if self.message_factory._protos.get(proto_id)
            else 'push_dropped')


def install_websocket(counter):
    """Count the websocket server's frames, connections and webhooks.

    Patches Zaqar 23's classes in this process: ``Handler.
    validate_request`` (called once for each frame that decodes to an
    object, with it: its ``action``), ``MessagingProtocol.onOpen`` (a
    connection) and ``NotificationFactory.send_data`` (a webhook from the
    notifier, whose notification goes to a live subscriber: ``push``, or
    not, that subscriber being gone: ``push_dropped``). Webhooks are
    counted there, not by connection: a connection may carry several
    (variant ``notifier-reuse``).
    """
    from zaqar.api import handler
    from zaqar.transport.websocket import factory
    from zaqar.transport.websocket import protocol

    _wrap(handler.Handler, 'validate_request', _action, counter,
          static=True)
    _wrap(protocol.MessagingProtocol, 'onOpen',
          lambda self: 'connect', counter)
    _wrap(factory.NotificationFactory, 'send_data', _webhook, counter)
