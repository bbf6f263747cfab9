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


"""RPC and notification endpoints that record what they executed.

Endpoints run in the RPC server's threads; every record is taken under a
lock and read through copies, so tests can poll them with
``waiters.wait_until``.
"""

import threading

import oslo_messaging as om

from zaqar_trove_tests.common.rpc import errors

#: Notification priorities, as the listener dispatches them.
PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')


class Record:
    """A thread-safe list of ``(method, value)`` pairs."""

    def __init__(self):
        self._items = []
        self._lock = threading.Lock()

    def add(self, method, value):
        with self._lock:
            self._items.append((method, value))

    def values(self, method=None):
        """The recorded values (of ``method`` only, if given), in order."""
        with self._lock:
            return [v for m, v in self._items if method in (None, m)]


class UnlistedError(Exception):
    """An exception of a module callers do not allow: a RemoteError."""


class Recorder:
    """The RPC endpoint of the contracts; ``name`` identifies the server.

    ``echo`` answers ``{'server': name, 'value': value}``, ``note`` (for
    casts) only records, ``fail`` raises, ``hold`` waits until
    ``release()`` (or ``seconds``) and ``work`` takes ``seconds``.
    """

    def __init__(self, name):
        self.name = name
        self.record = Record()
        self.released = threading.Event()

    def values(self, method):
        return self.record.values(method)

    def echo(self, ctxt, value):
        self.record.add('echo', value)
        return {'server': self.name, 'value': value}

    def note(self, ctxt, value):
        self.record.add('note', value)

    def fail(self, ctxt, kind, message):
        self.record.add('fail', kind)
        if kind == 'builtin':
            raise ValueError(message)
        if kind == 'allowed':
            raise errors.AllowedError(message, code=418)
        raise UnlistedError(message)

    def hold(self, ctxt, value, seconds=60):
        self.record.add('hold', value)
        self.released.wait(seconds)
        return {'server': self.name, 'value': value}

    def release(self):
        self.released.set()

    def work(self, ctxt, value, seconds):
        """Simulated work of ``seconds`` (what call-monitor covers)."""
        self.record.add('work', value)
        threading.Event().wait(seconds)
        return {'server': self.name, 'value': value}


class VersionedRecorder(Recorder):
    """A Recorder with a target: ``namespace`` and ``version``."""

    def __init__(self, name, namespace=None, version='1.0'):
        super().__init__(name)
        self.target = om.Target(namespace=namespace, version=version)

    def _private(self, ctxt):
        """Never callable remotely (the default access policy)."""
        self.record.add('_private', None)


class NotificationRecorder:
    """A notification endpoint recording every priority.

    Each record is ``(priority, publisher_id, event_type, payload)``.
    """

    def __init__(self, name):
        self.name = name
        self.record = Record()
        for priority in PRIORITIES:
            setattr(self, priority, self._recorder(priority))

    def _recorder(self, priority):
        def handle(ctxt, publisher_id, event_type, payload, metadata):
            self.record.add(priority, (publisher_id, event_type, payload))
        return handle

    def payloads(self, priority=None):
        return [payload for _, _, payload in self.record.values(priority)]


class BatchRecorder:
    """A batch notification endpoint: records each batch's payloads."""

    def __init__(self, name):
        self.name = name
        self.record = Record()

    def info(self, messages):
        self.record.add('batch', [m['payload'] for m in messages])

    def batches(self):
        return self.record.values('batch')
