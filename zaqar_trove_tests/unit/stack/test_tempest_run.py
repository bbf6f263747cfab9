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

"""The run command's pure parts: tempest arguments and result counting."""

import io
import re

import subunit
import testtools

from zaqar_trove_tests.stack import tempest_run


def stream(*results):
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for n, status in enumerate(results):
        test = 'pkg.Test.test_%d' % n
        writer.status(test_id=test, test_status='inprogress')
        writer.status(test_id=test, test_status=status)
    return out.getvalue()


class TestArguments(testtools.TestCase):

    def test_default_suite_is_every_contract_but_the_faults(self):
        args = tempest_run.tempest_args([])
        self.assertEqual('--regex', args[0])
        chosen = re.compile(args[1])
        for group in ('api', 'rpc', 'scenario', 'security'):
            self.assertTrue(chosen.search(
                'zaqar_trove_tests.tests.%s.test_x.T.test_y' % group), group)
        self.assertIsNone(chosen.search(
            'zaqar_trove_tests.tests.faults.test_redis.T.test_y'))

    def test_the_suites_split_the_tests(self):
        ids = ['zaqar_trove_tests.tests.%s.test_x.T.test_y' % group
               for group in ('api', 'rpc', 'scenario', 'security', 'faults')]

        def chosen(suite):
            regex = re.compile(tempest_run.tempest_args([], suite=suite)[1])
            return {i for i in ids if regex.search(i)}

        self.assertEqual(set(ids), chosen('all'))
        self.assertEqual(set(), chosen('contracts') & chosen('faults'))
        self.assertEqual(chosen('all'), chosen('contracts') | chosen('faults'))

    def test_other_options_keep_the_suite_regex(self):
        self.assertEqual(
            ['--regex', tempest_run.SUITES['faults'], '--exclude-regex',
             'slow', '--concurrency', '3'],
            tempest_run.tempest_args(['--exclude-regex', 'slow'], 3,
                                     'faults'))

    def test_any_selection_replaces_it(self):
        for args in (['--regex', 'x'], ['-r', 'x'], ['--regex=x'],
                     ['--smoke'], ['--include-list', 'f'],
                     ['--load-list', 'f']):
            self.assertEqual(args, tempest_run.tempest_args(args), args)


class TestCount(testtools.TestCase):

    def test_statuses(self):
        data = stream('success', 'success', 'fail', 'skip', 'xfail',
                      'uxsuccess')
        self.assertEqual((3, 2, 1), tempest_run.count(data))

    def test_empty(self):
        self.assertEqual((0, 0, 0), tempest_run.count(b''))
