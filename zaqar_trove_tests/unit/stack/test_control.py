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

"""Service control on real (tiny) processes: start, kill, stop, ports."""

import os
import signal
import socket
import sys

from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import ports
from zaqar_trove_tests.stack import procs
from zaqar_trove_tests.unit.stack import base


class TestService(base.StackTestCase):

    def test_start_kill_start_down(self):
        svc, = self.record(self.server())
        svc.start()
        status = svc.status()
        self.assertTrue(status['running'])
        self.assertTrue(status['listening'])
        group = svc.processes()
        self.assertEqual(2, len(group))  # the server and its child
        self.assertIn('listening', svc.log_tail())

        self.assertEqual(group, svc.kill())
        self.assertFalse(svc.is_running())
        self.assertEqual([], svc.processes())
        self.assertTrue(ports.is_free(svc.port))

        svc.start(timeout=10)
        self.assertTrue(svc.listening())
        group = svc.processes()
        self.assertEqual(['server'], self.stack.down())
        self.assertEqual([], [p for p in group if procs.is_running(
            p, procs.start_time(p))])
        self.assertIsNone(svc.pid)
        self.assertTrue(ports.is_free(svc.port))
        self.assertEqual('down', self.stack.state()['phase'])

    def test_stop_escalates_to_sigkill(self):
        svc, = self.record(self.server('stubborn', 'stubborn',
                                       stop_timeout=0.5))
        svc.start()
        pids = svc.processes()
        svc.stop()
        self.assertEqual([], [p for p in pids if procs.stat(p) and
                              procs.stat(p).state != 'Z'])
        self.assertFalse(svc.is_running())

    def test_restart_keeps_the_port(self):
        svc, = self.record(self.server())
        svc.start()
        first = svc.pid
        svc.restart()
        self.assertNotEqual(first, svc.pid)
        self.assertTrue(svc.listening())

    def test_exit_before_ready_fails_at_once_with_the_log(self):
        svc, = self.record(self.spec('crash', [
            sys.executable, '-c', 'print("boom"); raise SystemExit(3)']))
        error = self.assertRaises(errors.ServiceFailed, svc.start)
        self.assertIn('crash is not running', str(error))
        self.assertIn('boom', str(error))
        self.assertIn(svc.log_path, str(error))

    def test_silence_fails_at_the_deadline(self):
        svc, = self.record(self.spec('mute', ['sleep', '300']))
        error = self.assertRaises(errors.ServiceFailed, svc.start,
                                  timeout=0.3)
        self.assertIn('did not answer on port(s) %d within' % svc.port,
                      str(error))

    def _foreign_listener(self, port):
        sock = socket.socket()
        self.addCleanup(sock.close)
        sock.bind(('127.0.0.1', port))
        sock.listen()

    def test_a_taken_port_is_refused_before_starting(self):
        svc, = self.record(self.server())
        self._foreign_listener(svc.port)
        error = self.assertRaises(errors.ServiceFailed, svc.start)
        self.assertIn('port %d is held by %d' % (svc.port, os.getpid()),
                      str(error))
        self.assertIsNone(svc.pid)

    def test_a_port_held_by_someone_else_is_not_readiness(self):
        svc, = self.record(self.spec('imposter', ['sleep', '300']))
        svc.start(wait=False)
        self._foreign_listener(svc.port)
        error = self.assertRaises(errors.ServiceFailed, svc.wait_ready)
        self.assertIn('does not own its main port %d' % svc.port,
                      str(error))

    def test_a_recycled_pid_is_not_ours(self):
        svc, = self.record(self.server())
        data = self.stack.state()
        data['services']['server'].update(
            pid=os.getpid(), start_time=procs.start_time(os.getpid()) + 1)
        self.stack.write_state(data)
        self.assertFalse(svc.is_running())
        self.assertEqual([], svc.processes())
        svc.stop()
        self.assertEqual([], svc.kill(signal.SIGKILL))

    def test_unknown_service_is_named(self):
        self.record(self.server())
        error = self.assertRaises(errors.StackNotUp, self.stack.service,
                                  'nope')
        self.assertIn("no service 'nope'", str(error))
        self.assertIn('known: server', str(error))
