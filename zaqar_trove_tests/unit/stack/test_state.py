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

"""The JSON state file and its lock."""

import os
import threading

import fixtures
import testtools

from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import state


class TestStateFile(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.file = self._file()

    def _file(self):
        return state.StateFile(os.path.join(self.dir, 'state.json'),
                               os.path.join(self.dir, 'state.lock'))

    def test_missing_reads_empty(self):
        self.assertEqual({}, self.file.read())

    def test_round_trip_private_and_ordered(self):
        self.file.write({'b': 1, 'a': {'z': 1, 'y': 2}})
        self.assertEqual({'b': 1, 'a': {'z': 1, 'y': 2},
                          'format': state.FORMAT}, self.file.read())
        self.assertEqual(['z', 'y'], list(self.file.read()['a']))
        self.assertEqual(0o600, os.stat(self.file.path).st_mode & 0o777)
        self.assertEqual(['state.json'], os.listdir(self.dir))

    def test_update(self):
        self.file.write({'a': 1, 'b': 2})
        self.file.update(b=3, c=4)
        self.assertEqual({'a': 1, 'b': 3, 'c': 4, 'format': state.FORMAT},
                         self.file.read())

    def test_garbage_and_foreign_format_are_named(self):
        with open(self.file.path, 'w') as f:
            f.write('{not json')
        error = self.assertRaises(errors.StackError, self.file.read)
        self.assertIn('not valid JSON', str(error))
        with open(self.file.path, 'w') as f:
            f.write('{"format": 99}')
        error = self.assertRaises(errors.StackError, self.file.read)
        self.assertIn('format 99', str(error))

    def test_lock_names_its_holder_to_others(self):
        other = self._file()
        with self.file.locked('bringing the stack up'):
            error = self.assertRaises(errors.StackBusy, other.locked(
                'bringing the stack down').__enter__)
        self.assertIn('pid %d is bringing the stack up' % os.getpid(),
                      str(error))
        with other.locked('now free'):
            pass

    def test_lock_is_reentrant_for_its_thread_only(self):
        seen = []

        def other_thread():
            try:
                with self.file.locked('x', timeout=0):
                    seen.append('entered')
            except errors.StackBusy:
                seen.append('busy')

        with self.file.locked('outer'):
            with self.file.locked('inner'):
                thread = threading.Thread(target=other_thread)
                thread.start()
                thread.join()
        self.assertEqual(['busy'], seen)
        with self.file.locked('again'):
            pass
