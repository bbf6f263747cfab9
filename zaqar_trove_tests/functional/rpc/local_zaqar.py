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

"""A throw-away Zaqar for the driver's unit tests: redis + zaqar, noauth.

``LocalZaqar`` starts, on 127.0.0.1 and free ports in a temporary
directory, a redis-server, the Zaqar HTTP API under gunicorn and (with
``websocket=True``) a websocket ``zaqar-server`` with the notifier
pipeline for push. It waits until each process owns its port and answers,
and stops them all on cleanup. ``auth_strategy`` is empty: identity is the
``X-Project-ID`` header. Also usable by hand::

    python -m zaqar_trove_tests.functional.rpc.local_zaqar   # prints URLs
"""

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
import uuid

import fixtures
import testtools

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import httpclient
from zaqar_trove_tests.unit.rpc import fakes

BIN = os.path.dirname(sys.executable)

_WSGI_MODULE = '''
import sys
from oslo_config import cfg
import sqlalchemy
from zaqar import bootstrap
from zaqar.storage.sqlalchemy import tables
sys.argv = sys.argv[:1]
tables.metadata.create_all(sqlalchemy.create_engine(%(uri)r))
cfg.CONF(args=['--config-file', %(conf)r], project='zaqar',
         default_config_files=[], default_config_dirs=[])
application = bootstrap.Bootstrap(cfg.CONF).transport.app
'''


def _die_with_parent():
    """In the child: get SIGTERM when the test process dies (Linux)."""
    libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _listening_inodes(port):
    inodes = set()
    with open('/proc/net/tcp') as table:
        next(table)
        for line in table:
            fields = line.split()
            if (fields[3] == '0A' and
                    int(fields[1].split(':')[1], 16) == port):
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid):
    inodes = set()
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
            except OSError:
                continue
            if target.startswith('socket:['):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def owns_port(proc, port):
    """True when ``proc`` (still running) listens on 127.0.0.1:port."""
    if proc.poll() is not None:
        raise RuntimeError('process %s exited with %s' % (
            proc.args[0], proc.returncode))
    return bool(_listening_inodes(port) & _socket_inodes(proc.pid))


class LocalZaqar(fixtures.Fixture):
    """Redis + Zaqar (noauth) on loopback, stopped on cleanup.

    :ivar url: the Zaqar HTTP endpoint, ``http://127.0.0.1:PORT``.
    :ivar ws_url: the websocket endpoint (``None`` without websocket).
    """

    def __init__(self, websocket=False, timeout=60):
        super().__init__()
        self.websocket = websocket
        self.timeout = timeout
        self.url = self.ws_url = None
        self._procs = []

    def _setUp(self):
        for binary, where in (('redis-server', 'apt-get install '
                               'redis-server (bindep.txt)'),
                              (os.path.join(BIN, 'gunicorn'),
                               'pip install .[stack]'),
                              (os.path.join(BIN, 'zaqar-server'),
                               'pip install .[stack]')):
            if not shutil.which(binary):
                raise RuntimeError('%s is missing: %s' % (binary, where))
        self.dir = tempfile.mkdtemp(prefix='zt-zaqar-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.addCleanup(self._stop_all)
        self.redis_port = fakes.free_port()
        redis = self._start('redis', ['redis-server', '--port',
                                      str(self.redis_port), '--bind',
                                      '127.0.0.1', '--save', '',
                                      '--appendonly', 'no', '--dir',
                                      self.dir])
        self.http_port = fakes.free_port()
        self.ws_port = ws_port = fakes.free_port()
        self.notify_port = notify_port = fakes.free_port()
        conf = self._write_conf('wsgi', ws_port, notify_port)
        uri = 'sqlite:///%s' % os.path.join(self.dir, 'zaqar.db')
        with open(os.path.join(self.dir, 'zt_zaqar_wsgi.py'), 'w') as f:
            f.write(_WSGI_MODULE % {'conf': conf, 'uri': uri})
        self._wait_port(redis, self.redis_port)
        api = self._start('zaqar-api', [
            os.path.join(BIN, 'gunicorn'), '--chdir', self.dir,
            '--bind', '127.0.0.1:%d' % self.http_port, '--workers', '2',
            '--preload', '--no-control-socket', '--worker-class', 'gthread',
            '--threads', '4', '--keep-alive', '2', '--graceful-timeout', '1',
            'zt_zaqar_wsgi:application'])
        if self.websocket:
            ws = self._start('zaqar-ws', [
                os.path.join(BIN, 'zaqar-server'), '--config-file',
                self._write_conf('websocket', ws_port, notify_port)])
        self._wait_port(api, self.http_port)
        self.url = 'http://127.0.0.1:%d' % self.http_port
        waiters.wait_until(self._pings, self.timeout, 0.05, 'zaqar ping')
        if self.websocket:
            self._wait_port(ws, ws_port)
            self._wait_port(ws, notify_port)
            self.ws_url = 'ws://127.0.0.1:%d' % ws_port

    def _write_conf(self, transport, ws_port, notify_port):
        path = os.path.join(self.dir, 'zaqar-%s.conf' % transport)
        with open(path, 'w') as f:
            f.write(textwrap.dedent('''\
                [DEFAULT]
                auth_strategy =
                pooling = false
                unreliable = true
                log_file = %(dir)s/zaqar-%(transport)s.log
                [drivers]
                transport = %(transport)s
                message_store = redis
                management_store = sqlalchemy
                [drivers:message_store:redis]
                uri = redis://127.0.0.1:%(redis)d
                [drivers:management_store:sqlalchemy]
                uri = sqlite:///%(dir)s/zaqar.db
                [drivers:transport:websocket]
                bind = 127.0.0.1
                port = %(ws)d
                notification_bind = 127.0.0.1
                notification_port = %(notify)d
                [signed_url]
                secret_key = zt-local-secret
                [storage]
                message_pipeline = zaqar.notification.notifier
                ''') % {'dir': self.dir, 'redis': self.redis_port,
                        'ws': ws_port, 'notify': notify_port,
                        'transport': transport})
        return path

    def _start(self, name, argv):
        log = open(os.path.join(self.dir, name + '.out'), 'wb')
        self.addCleanup(log.close)
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.dir,
                                start_new_session=True,
                                preexec_fn=_die_with_parent)
        proc.zt_name = name
        proc.zt_argv = argv
        self._procs.append(proc)
        return proc

    def _wait_port(self, proc, port):
        try:
            waiters.wait_until(lambda: owns_port(proc, port), self.timeout,
                               0.05, '%s on port %d' % (proc.zt_name, port))
        except Exception as exc:
            raise RuntimeError('%s did not start: %s\n%s' % (
                proc.zt_name, exc, self.log_tail(proc.zt_name)))

    def _pings(self):
        try:
            req = urllib.request.Request(
                self.url + '/v2/ping', headers={
                    'Client-ID': '3b1a7f5e-2f6e-4a4c-9c0e-2b5a7c1d9e01',
                    'X-Project-ID': 'zt-ping'})
            with urllib.request.urlopen(req, timeout=2) as resp:
                return resp.status == 204
        except OSError:
            return False

    def log_tail(self, name, lines=20):
        try:
            with open(os.path.join(self.dir, name + '.out')) as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''

    def _stop_all(self):
        for proc in reversed(self._procs):
            self.stop(proc)
        self._procs = []

    @staticmethod
    def stop(proc, timeout=10):
        """Stop one started process, then anything left in its group."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def process(self, name):
        return next(p for p in self._procs if p.zt_name == name)

    def kill(self, name):
        """Stop service ``name`` (zaqar-api, zaqar-ws or redis)."""
        proc = self.process(name)
        self.stop(proc)
        self._procs.remove(proc)
        return proc.zt_argv

    def restart(self, name, argv):
        """Start ``name`` again (``argv`` from ``kill``) on its ports."""
        proc = self._start(name, argv)
        ports = {'zaqar-api': [self.http_port], 'redis': [self.redis_port],
                 'zaqar-ws': [self.ws_port, self.notify_port]}[name]
        for port in ports:
            self._wait_port(proc, port)


class ClientTestCase(testtools.TestCase):
    """One ``LocalZaqar`` per class; each test a client of a new project.

    :ivar settings: the driver settings of ``client`` (its ``project_id``).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.zaqar = LocalZaqar()
        cls.zaqar.setUp()
        cls.addClassCleanup(cls.zaqar.cleanUp)

    def setUp(self):
        super().setUp()
        self.settings = fakes.make_settings(
            self.zaqar.http_port, project_id='zt-' + uuid.uuid4().hex[:12])
        self.client = httpclient.ZaqarClient(
            self.settings, auth.make(self.settings), str(uuid.uuid4()))
        self.addCleanup(self.client.close)


def main():
    with LocalZaqar(websocket='--no-ws' not in sys.argv) as zaqar:
        print('http:', zaqar.url, 'ws:', zaqar.ws_url, 'dir:', zaqar.dir,
              flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':
    main()
