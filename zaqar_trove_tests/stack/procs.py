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

"""Processes and their listening sockets, read from Linux ``/proc``.

A process is identified by its pid *and* its start time, so a recycled
pid is never mistaken for a service. Each service runs as the leader of
its own session and process group; its members are the processes of
that session started no earlier than the leader.
"""

import collections
import os
import select
import signal
import time

Stat = collections.namedtuple(
    'Stat', ['pid', 'state', 'ppid', 'pgrp', 'session', 'start_time'])

_LISTEN = '0A'


def stat(pid):
    """The ``Stat`` of pid, or None when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may hold anything.
    fields = data[data.rindex(')') + 2:].split()
    return Stat(pid, fields[0], int(fields[1]), int(fields[2]),
                int(fields[3]), int(fields[19]))


def start_time(pid):
    """Start time of pid in clock ticks since boot, or None."""
    st = stat(pid)
    return st.start_time if st else None


def reap(pid):
    """Collect pid's exit status if it is our child; harmless otherwise."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _live(st):
    return st is not None and st.state not in ('Z', 'X')


def is_running(pid, started):
    """Whether pid is alive and is the process that started at started."""
    reap(pid)
    st = stat(pid)
    return _live(st) and st.start_time == started


def _all_pids():
    return [int(name) for name in os.listdir('/proc') if name.isdigit()]


def members(pid, started):
    """Live processes of the session pid leads, started no earlier."""
    reap(pid)
    found = []
    for other in _all_pids():
        st = stat(other)
        if (_live(st) and st.session == pid and st.pgrp == pid
                and st.start_time >= started):
            found.append(other)
    return sorted(found)


def signal_group(pid, started, sig):
    """Send sig to every member of pid's group; return who got it."""
    targets = members(pid, started)
    if targets:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return []
    return targets


def wait_gone(pids, timeout):
    """Wait until every pid has exited; return those still alive."""
    fds = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:
            continue
    try:
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLIN)
        deadline = time.monotonic() + timeout
        pending = dict(fds)
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _event in poller.poll(left * 1000):
                poller.unregister(fd)
                reap(pending.pop(fd))
        return sorted(pending.values())
    finally:
        for fd in fds:
            os.close(fd)


def terminate(pid, started, timeout):
    """Stop pid's group: SIGTERM, then SIGKILL after timeout seconds.

    :returns: the pids that were signalled.
    """
    targets = signal_group(pid, started, signal.SIGTERM)
    left = wait_gone(targets, timeout)
    if left:
        signal_group(pid, started, signal.SIGKILL)
        left = wait_gone(left, 10)
        if left:
            raise OSError('processes %s survived SIGKILL' % left)
    return targets


def _socket_inodes(pid):
    inodes = set()
    try:
        names = os.listdir('/proc/%d/fd' % pid)
    except (FileNotFoundError, PermissionError):
        return inodes
    for name in names:
        try:
            link = os.readlink('/proc/%d/fd/%s' % (pid, name))
        except OSError:
            continue
        if link.startswith('socket:['):
            inodes.add(link[8:-1])
    return inodes


def listening_inodes(port):
    """Inodes of TCP sockets listening on port, any address."""
    inodes = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and int(local.rsplit(':', 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def listeners(port, pids=None):
    """Pids (among pids, default all) holding a socket listening on port."""
    inodes = listening_inodes(port)
    if not inodes:
        return []
    return [pid for pid in (_all_pids() if pids is None else pids)
            if _socket_inodes(pid) & inodes]


def describe(pid):
    """``pid (command line)`` for messages."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        cmd = '?'
    return '%d (%s)' % (pid, cmd.strip()[:120])
