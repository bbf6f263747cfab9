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


"""A victim's observed state: strict, after a test, and after deletes."""

from unittest import mock

from tempest.lib import exceptions
import testtools

from zaqar_trove_tests.common import resources

VICTIM = resources.Victim('q', ['m0', 'm1', 'm2'], 'c1', ['m0'])
BEFORE = resources.QueueState(
    listed=True, metadata={'owner': 'p'},
    messages={'m0': {'n': 0}, 'm1': {'n': 1}, 'm2': {'n': 2}},
    free=['m1', 'm2'], claims={'c1': ['m0']}, counts=(2, 1, 3))


def clients(stats_status=None):
    """A victim's owner whose Zaqar answers BEFORE, the stats maybe not."""
    fake = mock.Mock(project_id='p')
    fake.queues.list_queues.return_value = {'queues': [{'name': 'q'}]}
    fake.queues.show_queue.return_value = {'owner': 'p', '_max': 1}
    fake.messages.show_messages.return_value = {'messages': [
        {'id': m, 'body': body} for m, body in BEFORE.messages.items()]}
    fake.messages.list_messages.return_value = {'messages': [
        {'id': m} for m in BEFORE.free]}
    fake.claims.show_claim.return_value = {'messages': [{'id': 'm0'}]}
    fake.queues.show_queue_stats.return_value = {'messages': {
        'free': 2, 'claimed': 1, 'total': 3}}
    if stats_status:
        fake.queues.show_queue_stats.side_effect = (
            exceptions.UnexpectedResponseCode(
                resp=mock.Mock(status=stats_status)))
    return fake


class TestObserve(testtools.TestCase):

    def test_strict_observation_is_the_state(self):
        self.assertEqual(BEFORE, resources.observe_victim(clients(), VICTIM))

    def test_strict_observation_raises_on_an_error_status(self):
        self.assertRaises(exceptions.UnexpectedResponseCode,
                          resources.observe_victim, clients(503), VICTIM)

    def test_after_a_test_an_unreadable_part_is_its_status(self):
        self.assertEqual(BEFORE._replace(counts='HTTP 503'),
                         resources.victim_after(clients(503), VICTIM))

    def test_assert_intact_fails_on_an_unreadable_part(self):
        resources.assert_intact(self, clients(), VICTIM, BEFORE)
        error = self.assertRaises(AssertionError, resources.assert_intact,
                                  self, clients(503), VICTIM, BEFORE)
        self.assertIn("counts='HTTP 503'", str(error))
        self.assertIn('queue q of project p changed', str(error))


class TestWithoutMessages(testtools.TestCase):

    def test_a_free_message(self):
        self.assertEqual(BEFORE._replace(
            messages={'m0': {'n': 0}, 'm1': {'n': 1}}, free=['m1'],
            counts=(1, 1, 2)), resources.without_messages(BEFORE, ['m2']))

    def test_a_claimed_message_leaves_its_claim_empty(self):
        self.assertEqual(BEFORE._replace(
            messages={'m1': {'n': 1}, 'm2': {'n': 2}}, claims={'c1': []},
            counts=(2, 0, 2)), resources.without_messages(BEFORE, ['m0']))

    def test_every_message_and_a_claim_gone(self):
        self.assertEqual(BEFORE._replace(
            messages={}, free=[], claims={'c1': None}, counts=(0, 0, 0)),
            resources.without_messages(BEFORE._replace(
                claims={'c1': None}), ['m0', 'm1', 'm2']))
