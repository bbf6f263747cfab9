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

"""Drive a local stack from Python: its services, their processes, ports.

Everything is read from the stack's state file, so any process can
stop, kill, restart or wait for a service of a stack another process
brought up::

    stack = control.Stack('/path/to/state')     # [zaqar_trove] stack_state_dir
    zaqar = stack.service('zaqar')
    zaqar.kill()                                # SIGKILL, whole process group
    zaqar.start()                               # same command, same port
    zaqar.wait_ready(timeout=60)

A new stack is brought up by ``bringup.up(stack)``, which composes these
primitives with the services' configuration and the warm cache. This
module sits below it: it imports the stack's process and state modules
(``procs``, ``state``, ``paths``, ``probes``, ``errors``) and
``common.waiters``, never ``bringup``, ``cli`` or ``tempest_run``, nor
Keystone or Zaqar.
"""

import os
import signal
import subprocess
import time

from tempest.lib import exceptions as lib_exc

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import paths as stack_paths
from zaqar_trove_tests.stack import probes
from zaqar_trove_tests.stack import procs
from zaqar_trove_tests.stack import state as stack_state

#: Popen objects of the services this process started (kept so they are
#: neither garbage-collected with a warning nor left as zombies).
_CHILDREN = {}


def tail(path, lines=20):
    """The last lines of a text file, '' if it does not exist."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 200 * lines))
            data = f.read().decode(errors='replace')
    except FileNotFoundError:
        return ''
    return '\n'.join(data.splitlines()[-lines:])


def launch(spec, fresh_log=False):
    """Start a spec's command in a new session; return (pid, start time)."""
    os.makedirs(os.path.dirname(spec['log']), exist_ok=True)
    env = dict(os.environ)
    env.update(spec['env'])
    with open(spec['log'], 'wb' if fresh_log else 'ab') as log:
        log.write(('=== %s starting: %s\n' % (
            time.strftime('%Y-%m-%d %H:%M:%S'),
            ' '.join(spec['argv']))).encode())
        log.flush()
        child = subprocess.Popen(
            spec['argv'], cwd=spec['cwd'], env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True)
    _CHILDREN[child.pid] = child
    return child.pid, procs.start_time(child.pid)


class Service:
    """One service of a stack, as its state file records it."""

    def __init__(self, stack, name):
        self.stack = stack
        self.name = name

    def __repr__(self):
        return '<Service %s of %s>' % (self.name, self.stack.paths.root)

    def record(self):
        """This service's entry in the state file (re-read each call)."""
        try:
            return self.stack.state()['services'][self.name]
        except KeyError:
            raise errors.StackNotUp('no service %r recorded in %s' % (
                self.name, self.stack.paths.state_file))

    @property
    def spec(self):
        return self.record()['spec']

    @property
    def ports(self):
        """``{label: port}`` the service listens on."""
        return dict(self.spec['ports'])

    @property
    def port(self):
        """The main port (the first one)."""
        return next(iter(self.spec['ports'].values()))

    @property
    def pid(self):
        return self.record().get('pid')

    @property
    def log_path(self):
        return self.spec['log']

    def log_tail(self, lines=20):
        return tail(self.log_path, lines)

    def _process(self):
        rec = self.record()
        return rec.get('pid'), rec.get('start_time')

    def is_running(self):
        """Whether the process this service started is alive."""
        pid, started = self._process()
        return bool(pid) and procs.is_running(pid, started)

    def processes(self):
        """Live pids of the service's process group."""
        pid, started = self._process()
        return procs.members(pid, started) if pid else []

    def listening(self):
        """Whether the service's processes hold every one of its ports."""
        mine = self.processes()
        return bool(mine) and all(procs.listeners(port, mine)
                                  for port in self.ports.values())

    def failure(self, reason):
        """A ``ServiceFailed`` for this service, with its log tail."""
        return errors.ServiceFailed(self.name, reason, self.log_path,
                                    self.log_tail())

    def _check_ports_free(self):
        for label, port in self.ports.items():
            holders = procs.listeners(port)
            if holders:
                raise self.failure('cannot start: its %s port %d is held by '
                                   '%s' % (label, port, ', '.join(
                                       procs.describe(p) for p in holders)))

    def start(self, wait=True, timeout=None, fresh_log=False):
        """Start the recorded command; by default wait until it is ready.

        :raises ServiceFailed: a port is taken, or it never got ready.
        """
        with self.stack.lock('starting %s' % self.name, timeout=60):
            if self.is_running():
                raise errors.StackError('%s already runs (pid %d)' % (
                    self.name, self.pid))
            leftovers = self.processes()
            if leftovers:
                self.stop()
            self._check_ports_free()
            pid, started = launch(self.spec, fresh_log)
            self.stack.set_process(self.name, pid, started)
        if wait:
            self.wait_ready(timeout)

    def _ready(self, owned):
        """One readiness check; ``owned`` collects ports proven ours."""
        pid, started = self._process()
        if not (pid and procs.is_running(pid, started)):
            raise self.failure('is not running (it exited or was never '
                               'started)')
        for label, port in self.ports.items():
            if port in owned:
                continue
            if not probes.tcp(port):
                return False  # cheap: a refused connect costs microseconds
            if procs.listeners(port, procs.members(pid, started)):
                owned.add(port)
                continue
            # Read again: the service may have bound it in between.
            holders = procs.listeners(port)
            others = sorted(set(holders) - set(procs.members(pid, started)))
            if others:
                raise self.failure('does not own its %s port %d: %s holds '
                                   'it' % (label, port, ', '.join(
                                       procs.describe(p) for p in others)))
            return False
        try:
            return probes.check(self.spec['probe'], self.ports)
        except probes.ProbeRefused as exc:
            raise self.failure(str(exc))

    def wait_ready(self, timeout=None):
        """Wait until the service owns its ports and answers its probe.

        :raises ServiceFailed: with the tail of its log, if it exits, a
            foreign process holds its port, or timeout passes.
        """
        timeout = timeout or self.spec['ready_timeout']
        try:
            owned = set()
            waiters.wait_until(lambda: self._ready(owned), timeout,
                               interval=0.1, what='%s ready' % self.name)
        except lib_exc.TimeoutException:
            raise self.failure('did not answer on port(s) %s within %d s' % (
                ', '.join(str(p) for p in self.ports.values()), timeout))

    def stop(self, timeout=None):
        """SIGTERM the process group, SIGKILL what is left after timeout."""
        pid, started = self._process()
        if pid:
            procs.terminate(pid, started,
                            timeout or self.spec['stop_timeout'])
        with self.stack.lock('recording %s stopped' % self.name, timeout=60):
            self.stack.set_process(self.name, None, None)

    def kill(self, sig=signal.SIGKILL):
        """Send sig to the whole process group; after SIGKILL, wait.

        The record is kept: ``start()`` brings the service back.

        :returns: the pids signalled.
        """
        pid, started = self._process()
        if not pid:
            return []
        targets = procs.signal_group(pid, started, sig)
        if sig == signal.SIGKILL:
            procs.wait_gone(targets, 10)
        return targets

    def restart(self, timeout=None):
        """Stop (if running), start and wait until ready."""
        self.stop()
        self.start(timeout=timeout)

    def status(self):
        """``{name, pid, ports, running, listening}``."""
        return {'name': self.name, 'pid': self.pid, 'ports': self.ports,
                'running': self.is_running(), 'listening': self.listening(),
                'log': self.log_path}


class Stack:
    """A stack's state directory and the services it records."""

    def __init__(self, state_dir=None):
        self.paths = stack_paths.Paths(
            state_dir or stack_paths.default_state_dir())
        self._file = stack_state.StateFile(self.paths.state_file,
                                           self.paths.lock_file)

    def __repr__(self):
        return '<Stack %s>' % self.paths.root

    def state(self):
        """The recorded state (``{}`` if none)."""
        return self._file.read()

    def write_state(self, data):
        self._file.write(data)

    def update_state(self, **changes):
        return self._file.update(**changes)

    def lock(self, what, timeout=0):
        """Context manager serialising changes to this stack."""
        return self._file.locked(what, timeout)

    def set_process(self, name, pid, started):
        data = self.state()
        data['services'][name].update(pid=pid, start_time=started,
                                      started_at=time.time() if pid else None)
        self._file.write(data)

    def names(self):
        return list(self.state().get('order', []))

    def service(self, name):
        if name not in self.state().get('services', {}):
            raise errors.StackNotUp('no service %r in %s (known: %s)' % (
                name, self.paths.state_file, ', '.join(self.names()) or
                'none'))
        return Service(self, name)

    def services(self):
        return [Service(self, name) for name in self.names()]

    @property
    def settings(self):
        """``ports``, ``secrets``, ``region``... of the running stack."""
        return self.state().get('settings', {})

    @property
    def tempest_conf(self):
        return self.paths.tempest_conf

    def alive(self):
        """Names of services with a live process left."""
        return [s.name for s in self.services() if s.processes()]

    def is_up(self):
        """Whether ``up`` completed and every service still runs."""
        services = self.services()
        return (self.state().get('phase') == 'up' and bool(services)
                and all(s.is_running() for s in services))

    def status(self):
        """One ``Service.status()`` per recorded service."""
        return [s.status() for s in self.services()]

    def down(self, timeout=20):
        """Stop every recorded process, newest first, all at once.

        :returns: names of the services that had processes to stop.
        """
        with self.lock('bringing the stack down', timeout=timeout):
            return self.stop_all(timeout)

    def stop_all(self, timeout=20):
        data = self.state()
        records = data.get('services', {})
        signalled = {}
        for name in reversed(data.get('order', [])):
            rec = records[name]
            if rec.get('pid'):
                signalled[name] = procs.signal_group(
                    rec['pid'], rec['start_time'], signal.SIGTERM)
        left = procs.wait_gone(sum(signalled.values(), []), timeout)
        if left:
            for name in signalled:
                rec = records[name]
                procs.signal_group(rec['pid'], rec['start_time'],
                                   signal.SIGKILL)
            left = procs.wait_gone(left, 10)
            if left:
                raise errors.StackError('processes %s survived SIGKILL' % (
                    ', '.join(procs.describe(p) for p in left)))
        for rec in records.values():
            rec.update(pid=None, start_time=None, started_at=None)
        if data:
            data['phase'] = 'down'
            self._file.write(data)
        return [name for name, pids in signalled.items() if pids]
