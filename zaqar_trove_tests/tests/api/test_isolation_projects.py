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


"""ISO-1: two projects, one queue name, two independent queues.

Every test builds a victim queue of the primary project (metadata, free
messages, a claim), lets the alt project act on the same queue name, then
asserts that the victim is unchanged and what the alt project got.
"""

from tempest.lib.common.utils import test_utils
from tempest.lib import decorators
from tempest.lib import exceptions
from testtools import matchers

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.tests.api import base


class ProjectIsolationTest(base.TwoProjectsTest):

    def setUp(self):
        super().setUp()
        self.victim = resources.victim(self.primary, self.addCleanup)
        self.before = resources.observe_victim(self.primary, self.victim)

    def assert_victim_intact(self):
        resources.assert_intact(self, self.primary, self.victim, self.before)

    def victim_state(self):
        """The victim as its owner sees it; unreadable parts as statuses."""
        return resources.victim_after(self.primary, self.victim)

    def shown_as(self, message_id):
        """Matches the victim's message ``message_id`` as Zaqar shows it."""
        return matchers.ContainsDict({
            'id': matchers.Equals(message_id),
            'body': matchers.Equals(self.before.messages[message_id])})

    def deleted_by_alt(self, *message_ids):
        """The victim once the alt project deleted ``message_ids``.

        They are gone (a claim still holds the others) and the victim's
        stats answer 503: the ids stay in its queue's index.
        """
        return resources.without_messages(self.before, message_ids)._replace(
            counts='HTTP 503')

    def alt_same_name_queue(self, messages=0):
        """The alt project's queue of the victim's name; its message ids."""
        resources.create_queue(self.alt, self.addCleanup, self.victim.queue,
                               metadata={'owner': self.alt.project_id})
        if not messages:
            return []
        return resources.post(self.alt, self.victim.queue,
                              [{'alt': n} for n in range(messages)])

    @decorators.idempotent_id('5cd1439c-c4bc-4f95-b6b3-365b17572af3')
    def test_same_name_queues_hold_separate_messages(self):
        alt_ids = self.alt_same_name_queue(messages=2)
        alt_seen = resources.list_all_messages(self.alt, self.victim.queue)
        self.assert_victim_intact()
        self.assertEqual(sorted(alt_ids), sorted(m['id'] for m in alt_seen))

    @decorators.idempotent_id('09dba322-3a70-49b6-b7fa-15645a3a57ea')
    def test_alt_queue_list_does_not_show_primary_queue(self):
        alt_queues = resources.list_queue_names(self.alt)
        self.assert_victim_intact()
        self.assertTrue(self.before.listed)
        self.assertNotIn(self.victim.queue, alt_queues)

    @decorators.idempotent_id('7b5876d3-d432-4b4b-a566-dc89259c7c84')
    def test_alt_queue_metadata_is_its_own(self):
        unknown = self.alt.queues.show_queue(self.victim.queue)
        self.alt_same_name_queue()
        own = self.alt.queues.show_queue(self.victim.queue)
        self.assert_victim_intact()
        self.assertNotIn('owner', unknown)
        self.assertEqual(self.alt.project_id, own['owner'])

    @decorators.idempotent_id('8acdf1c4-6283-41ac-b32d-21348a70a409')
    def test_alt_metadata_update_leaves_primary_metadata(self):
        self.alt_same_name_queue()
        self.alt.queues.update_queue(self.victim.queue, [
            {'op': 'replace', 'path': '/metadata/owner', 'value': 'alt'}])
        own = self.alt.queues.show_queue(self.victim.queue)
        self.assert_victim_intact()
        self.assertEqual('alt', own['owner'])

    @decorators.idempotent_id('03684c78-2a86-4968-ad58-1357827f5c92')
    def test_alt_stats_count_only_its_own_messages(self):
        self.alt_same_name_queue(messages=1)
        stats = self.alt.queues.show_queue_stats(self.victim.queue)
        self.assert_victim_intact()
        self.assertEqual({'free': 1, 'claimed': 0, 'total': 1},
                         {k: stats['messages'][k]
                          for k in ('free', 'claimed', 'total')})

    @decorators.idempotent_id('ec63d52e-a1ea-44b9-bb77-fa6badf645f4')
    def test_alt_claim_gets_only_its_own_messages(self):
        alt_ids = self.alt_same_name_queue(messages=2)
        _, claimed = resources.claim(self.alt, self.victim.queue, limit=10)
        self.assert_victim_intact()
        self.assertEqual(sorted(alt_ids), sorted(claimed))

    @decorators.idempotent_id('47e6170e-5306-489e-9d00-c54f6491d4d0')
    def test_alt_claim_without_a_queue_gets_nothing(self):
        claimed = resources.claim(self.alt, self.victim.queue, limit=10)
        self.assert_victim_intact()
        self.assertEqual((None, []), claimed)

    @decorators.idempotent_id('ab48db42-2262-4135-805f-5074d98caf52')
    def test_alt_pop_takes_only_its_own_messages(self):
        alt_ids = self.alt_same_name_queue(messages=2)
        popped = self.alt.messages.pop_messages(self.victim.queue, 10)
        self.assert_victim_intact()
        self.assertEqual(sorted(alt_ids),
                         sorted(m['id'] for m in popped['messages']))

    @decorators.idempotent_id('7b0efc21-afd7-4995-ae47-7434a5b5476e')
    def test_alt_purge_leaves_primary_messages(self):
        self.alt_same_name_queue(messages=1)
        self.alt.queues.purge_queue(self.victim.queue)
        alt_left = resources.list_all_messages(self.alt, self.victim.queue)
        self.assert_victim_intact()
        self.assertEqual([], alt_left)

    @decorators.idempotent_id('139bb569-dac9-4bc2-8be1-54820b4ded41')
    def test_alt_queue_delete_leaves_primary_queue(self):
        self.alt_same_name_queue(messages=1)
        self.alt.queues.delete_queue(self.victim.queue)
        alt_queues = resources.list_queue_names(self.alt)
        self.assert_victim_intact()
        self.assertNotIn(self.victim.queue, alt_queues)

    @decorators.idempotent_id('a7fdd9c4-dfba-47d2-ab16-fe957b519694')
    def test_alt_cannot_show_primary_claim(self):
        self.alt_same_name_queue()
        self.assertRaises(exceptions.NotFound, self.alt.claims.show_claim,
                          self.victim.queue, self.victim.claim_id)
        self.assert_victim_intact()

    @decorators.idempotent_id('cbce99a4-ba09-45ec-917a-fc4cc3fc9a42')
    def test_alt_cannot_renew_primary_claim(self):
        self.alt_same_name_queue()
        self.assertRaises(exceptions.NotFound, self.alt.claims.update_claim,
                          self.victim.queue, self.victim.claim_id, ttl=600)
        self.assert_victim_intact()
        self.assertEqual(300, self.primary.claims.show_claim(
            self.victim.queue, self.victim.claim_id)['ttl'])

    @decorators.idempotent_id('32bac531-1a8f-44d9-a487-946fae65fbf4')
    def test_alt_cannot_release_primary_claim(self):
        self.alt_same_name_queue()
        test_utils.call_and_ignore_notfound_exc(
            self.alt.claims.release_claim, self.victim.queue,
            self.victim.claim_id)
        self.assert_victim_intact()

    @decorators.idempotent_id('d5620be2-0dca-4493-8fd3-8dc125ff3688')
    def test_alt_cannot_see_or_delete_primary_subscription(self):
        subscription_id = self.primary.subscriptions.create_subscription(
            self.victim.queue, 'http://127.0.0.1:9/ztt',
            ttl=3600)['subscription_id']
        self.alt_same_name_queue()
        alt_listed = self.alt.subscriptions.list_subscriptions(
            self.victim.queue)['subscriptions']
        self.assertRaises(exceptions.NotFound,
                          self.alt.subscriptions.show_subscription,
                          self.victim.queue, subscription_id)
        test_utils.call_and_ignore_notfound_exc(
            self.alt.subscriptions.delete_subscription,
            self.victim.queue, subscription_id)
        self.assert_victim_intact()
        self.assertEqual([], alt_listed)
        self.assertEqual(subscription_id,
                         self.primary.subscriptions.show_subscription(
                             self.victim.queue, subscription_id)['id'])

    @decorators.idempotent_id('5136a9ef-c738-47a1-84c8-c20246a44d84')
    def test_alt_cannot_show_primary_message_by_id(self):
        self.alt_same_name_queue()
        shown = test_utils.call_and_ignore_notfound_exc(
            self.alt.messages.show_message, self.victim.queue,
            self.victim.message_ids[-1])
        self.assert_victim_intact()
        defects.expect(self, 'message-id-scope', shown, correct=None,
                       symptom=self.shown_as(self.victim.message_ids[-1]))

    @decorators.idempotent_id('420b2f57-e093-4d10-ab18-7bb6fc7db7fa')
    def test_alt_cannot_show_primary_messages_by_ids(self):
        self.alt_same_name_queue()
        shown = test_utils.call_and_ignore_notfound_exc(
            self.alt.messages.show_messages, self.victim.queue,
            self.victim.message_ids)
        self.assert_victim_intact()
        defects.expect(self, 'message-id-scope',
                       (shown or {}).get('messages', []), correct=[],
                       symptom=matchers.MatchesSetwise(*map(
                           self.shown_as, self.victim.message_ids)))

    @decorators.idempotent_id('c6547f09-8f1b-48b5-9753-93441965eb65')
    def test_alt_cannot_delete_primary_message_by_id(self):
        self.alt_same_name_queue()
        test_utils.call_and_ignore_notfound_exc(
            self.alt.messages.delete_message, self.victim.queue,
            self.victim.message_ids[-1])
        defects.expect(self, 'message-id-scope', self.victim_state(),
                       correct=self.before, symptom=self.deleted_by_alt(
                           self.victim.message_ids[-1]))

    @decorators.idempotent_id('ad86683f-cc2f-469b-bd51-21d3c1d05e54')
    def test_alt_cannot_delete_primary_messages_by_ids(self):
        self.alt_same_name_queue()
        test_utils.call_and_ignore_notfound_exc(
            self.alt.messages.delete_messages, self.victim.queue,
            self.victim.message_ids)
        defects.expect(self, 'message-id-scope', self.victim_state(),
                       correct=self.before,
                       symptom=self.deleted_by_alt(*self.victim.message_ids))

    @decorators.idempotent_id('665595b8-0fca-424d-a08e-9fbda352e903')
    def test_alt_cannot_delete_claimed_message_with_primary_claim(self):
        self.alt_same_name_queue()
        test_utils.call_and_ignore_notfound_exc(
            self.alt.messages.delete_message, self.victim.queue,
            self.victim.claimed_ids[0], claim_id=self.victim.claim_id)
        defects.expect(self, 'message-id-scope', self.victim_state(),
                       correct=self.before, symptom=self.deleted_by_alt(
                           self.victim.claimed_ids[0]))
