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

"""Bad situations that need no service: clear errors, nothing started."""

import os
import subprocess
import sys

import fixtures

from zaqar_trove_tests.stack import binaries
from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import procs
from zaqar_trove_tests.stack import state
from zaqar_trove_tests.unit.stack import base


class TestMissingBinary(base.StackTestCase):

    def test_names_the_debian_package(self):
        programs = {'redis-server': ('redis-server',
                                     ['/nonexistent/redis-server'])}
        self.useFixture(fixtures.EnvironmentVariable('PATH', self.dir))
        error = self.assertRaises(errors.MissingBinary, binaries.find,
                                  'redis-server', programs)
        self.assertEqual('redis-server', error.package)
        self.assertIn('apt-get install redis-server', str(error))
        self.assertIn('$PATH, /nonexistent/redis-server', str(error))

    def test_rabbitmq_never_uses_the_sbin_wrapper(self):
        programs = {'rabbitmq-server': ('rabbitmq-server', ['/bin/true'])}
        self.assertEqual('/bin/true',
                         binaries.find('rabbitmq-server', programs))

    def test_erlang_programs_come_from_erlang_base(self):
        self.assertEqual('erlang-base', binaries.PROGRAMS['epmd'][0])

    def test_missing_python_module(self):
        error = self.assertRaises(errors.MissingPythonPackage,
                                  binaries.check_modules, ['no_such_mod'])
        self.assertIn('zaqar-trove-tests[stack]', str(error))


class TestSecondUp(base.StackTestCase):

    def test_up_refuses_a_running_stack_and_leaves_it_alone(self):
        svc, = self.record(self.server())
        svc.start()
        error = self.assertRaises(errors.StackAlreadyUp, bringup.up,
                                  self.stack)
        self.assertIn('a stack is already up in %s (server)' % self.dir,
                      str(error))
        self.assertIn('stack down --state-dir %s' % self.dir, str(error))
        self.assertTrue(svc.is_running())
        self.assertEqual('up', self.stack.state()['phase'])

    def test_leftovers_of_a_crashed_up_are_named(self):
        svc, = self.record(self.server(), phase='starting')
        svc.start()
        error = self.assertRaises(errors.StackAlreadyUp, bringup.up,
                                  self.stack)
        self.assertIn('processes of an earlier stack still run',
                      str(error))

    def test_up_while_another_command_holds_the_stack(self):
        other = state.StateFile(self.stack.paths.state_file,
                                self.stack.paths.lock_file)
        with other.locked('bringing the stack up'):
            error = self.assertRaises(errors.StackBusy, bringup.up,
                                      self.stack)
        self.assertIn('is busy: pid %d is bringing the stack up'
                      % os.getpid(), str(error))
        self.assertEqual({}, self.stack.state())


class TestCommandLine(base.StackTestCase):

    def cli(self, *args):
        return subprocess.run(
            [sys.executable, '-m', 'zaqar_trove_tests.stack.cli'] +
            list(args), capture_output=True, text=True, timeout=60)

    def test_status_without_a_stack(self):
        result = self.cli('stack', 'status', '--state-dir', self.dir)
        self.assertEqual(1, result.returncode)
        self.assertIn('no stack recorded in %s' % self.dir, result.stdout)

    def test_status_lists_services(self):
        svc, = self.record(self.server())
        svc.start()
        result = self.cli('stack', 'status', '--state-dir', self.dir)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertRegex(result.stdout, r'server +%d +main=%d +running, '
                         r'listening' % (svc.pid, svc.port))

    def test_down_after_the_starting_command_died(self):
        svc, = self.record(self.server())
        svc.start()
        pids = svc.processes()
        result = self.cli('stack', 'down', '--state-dir', self.dir)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('stopped: server', result.stdout)
        self.assertFalse(svc.is_running())
        self.assertEqual([], [p for p in pids if procs.is_running(
            p, procs.start_time(p))])

    def test_busy_stack_is_an_error_not_a_hang(self):
        other = state.StateFile(self.stack.paths.state_file,
                                self.stack.paths.lock_file)
        with other.locked('bringing the stack up'):
            result = self.cli('stack', 'up', '--state-dir', self.dir)
        self.assertEqual(1, result.returncode)
        self.assertIn('zaqar-trove-tests: error: the stack in %s is busy'
                      % self.dir, result.stderr)

    def test_unknown_arguments_only_pass_through_run(self):
        result = self.cli('stack', 'status', '--regex', 'x')
        self.assertEqual(2, result.returncode)
        self.assertIn('unrecognized arguments: --regex x', result.stderr)
