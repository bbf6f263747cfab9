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

"""The stack's one JSON state file and the lock that serialises changes.

The file records ports, credentials and, for every service, how to start
it and which process (pid + start time) runs it. It is rewritten
atomically after each change, so a crashed command leaves a usable
record behind for ``down``.
"""

import contextlib
import errno
import fcntl
import json
import os
import threading
import time

from zaqar_trove_tests.stack import errors

FORMAT = 1


class StateFile:
    """Read, write and lock ``state.json``."""

    def __init__(self, path, lock_path):
        self.path = path
        self.lock_path = lock_path
        self._thread_lock = threading.RLock()
        self._fd = None

    def read(self):
        """The recorded state, ``{}`` when there is none."""
        try:
            with open(self.path) as f:
                data = json.load(f)
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise errors.StackError('%s is not valid JSON (%s): remove it '
                                    'after checking no stack process runs'
                                    % (self.path, exc))
        if data.get('format') != FORMAT:
            raise errors.StackError(
                '%s has format %r, this version writes %r: stop that stack '
                'with the version that started it' % (
                    self.path, data.get('format'), FORMAT))
        return data

    def write(self, data):
        """Replace the state atomically; readable by the owner only."""
        data = dict(data, format=FORMAT)
        tmp = '%s.%d.tmp' % (self.path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump(data, f, indent=2)
            f.write('\n')
        os.replace(tmp, self.path)

    def update(self, **changes):
        """Read, apply top-level changes, write; return the new state."""
        data = self.read()
        data.update(changes)
        self.write(data)
        return data

    @contextlib.contextmanager
    def locked(self, what, timeout=0):
        """Hold the stack lock while changing it.

        :param what: what the holder does, shown to whoever waits.
        :param timeout: seconds to wait for another holder.
        :raises StackBusy: naming the holder, if it keeps the lock.

        Re-entrant for the thread that holds it (``up`` starts services
        with the lock held); other threads and processes wait.
        """
        if not self._thread_lock.acquire(timeout=max(timeout, 0.001)):
            raise errors.StackBusy('the stack in %s is busy in another '
                                   'thread' % os.path.dirname(self.path))
        try:
            if self._fd is not None:
                yield
                return
            self._fd = self._acquire(what, timeout)
            try:
                yield
            finally:
                os.close(self._fd)
                self._fd = None
        finally:
            self._thread_lock.release()

    def _acquire(self, what, timeout):
        os.makedirs(os.path.dirname(self.lock_path), exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 512, 0).decode(
                        errors='replace').strip() or 'another process'
                    os.close(fd)
                    raise errors.StackBusy('the stack in %s is busy: %s' % (
                        os.path.dirname(self.lock_path), holder))
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, ('pid %d is %s' % (os.getpid(), what)).encode(), 0)
        return fd
