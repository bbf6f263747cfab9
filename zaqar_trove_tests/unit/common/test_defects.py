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


"""defects.expect: the symptom, the correct value, and anything else."""

import testtools
from testtools import matchers

from zaqar_trove_tests.common import defects

FINDING = 'message-id-scope'


def outcome(observed, **kwargs):
    """How a test calling ``expect(observed, **kwargs)`` ends.

    :returns: (kind, text): kind is 'xfail', 'uxsuccess', 'fail' or
        'error'; text what the result records (its reason or traceback).
    """
    class Marked(testtools.TestCase):
        def test(self):
            defects.expect(self, FINDING, observed, **kwargs)

    case = Marked('test')
    result = testtools.TestResult()
    case.run(result)
    for kind, entries in (('xfail', result.expectedFailures),
                          ('fail', result.failures),
                          ('error', result.errors)):
        if entries:
            return kind, entries[0][1]
    if result.unexpectedSuccesses:
        return 'uxsuccess', case.getDetails()['reason'].as_text()
    return 'pass', ''


class TestExpect(testtools.TestCase):

    def test_the_symptom_is_an_expected_failure_with_the_reason(self):
        kind, text = outcome(500, correct=400, symptom=500)
        self.assertEqual('xfail', kind)
        self.assertIn('Known defect [%s]: %s' % (
            FINDING, defects.FINDINGS[FINDING]), text)
        self.assertIn('500 != 400', text)

    def test_the_correct_value_is_an_unexpected_success(self):
        kind, text = outcome(400, correct=400, symptom=500)
        self.assertEqual('uxsuccess', kind)
        self.assertIn('Known defect [%s]' % FINDING, text)

    def test_anything_else_fails_and_says_so(self):
        kind, text = outcome(503, correct=400, symptom=500)
        self.assertEqual('fail', kind)
        self.assertIn('Neither correct nor the symptom of known defect '
                      '[%s]' % FINDING, text)
        self.assertIn('against the correct value: 503 != 400', text)
        self.assertIn('against the symptom: 503 != 500', text)

    def test_values_compare_whole(self):
        correct = {'a': 403, 'b': 403}
        symptom = {'a': ['m1'], 'b': 204}
        self.assertEqual('xfail', outcome(
            {'a': ['m1'], 'b': 204}, correct=correct, symptom=symptom)[0])
        self.assertEqual('fail', outcome(
            {'a': ['m1'], 'b': 403}, correct=correct, symptom=symptom)[0])
        self.assertEqual('fail', outcome(
            {'a': ['m1', 'm2'], 'b': 204}, correct=correct,
            symptom=symptom)[0])

    def test_matchers_judge_as_values_do(self):
        sealed = matchers.MatchesAll(
            matchers.IsInstance(str), matchers.MatchesRegex('^[A-Z]+=$'),
            first_only=True)
        refused = matchers.IsInstance(ValueError)
        self.assertEqual('xfail', outcome(
            'QUJD=', correct=refused, symptom=sealed)[0])
        self.assertEqual('uxsuccess', outcome(
            ValueError('no'), correct=refused, symptom=sealed)[0])
        self.assertEqual('fail', outcome(
            'not sealed', correct=refused, symptom=sealed)[0])
        self.assertEqual('fail', outcome(
            True, correct=refused, symptom=sealed)[0])

    def test_the_correct_value_wins_over_a_symptom_that_also_matches(self):
        self.assertEqual('uxsuccess', outcome(
            400, correct=400, symptom=matchers.IsInstance(int))[0])

    def test_an_unknown_finding_is_an_error(self):
        class Marked(testtools.TestCase):
            def test(self):
                defects.expect(self, 'no-such-finding', 1, correct=1,
                               symptom=2)

        result = testtools.TestResult()
        Marked('test').run(result)
        self.assertEqual(1, len(result.errors))
        self.assertIn('no-such-finding', result.errors[0][1])

    def test_correct_and_symptom_must_be_named(self):
        self.assertRaises(TypeError, defects.expect, self, FINDING, 1, 1, 2)
