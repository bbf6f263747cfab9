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


"""ISO-2: identities that must never reach the primary project's data.

Each test sends every kind of request at the victim queue (list, stats,
read, read by id, post, claim, delete by id, delete queue, share) with one
kind of bad identity over HTTP, then asserts each refusal and that the
victim is unchanged.
"""

from tempest.lib.common.utils import test_utils
from tempest.lib import decorators
from tempest.lib import exceptions

from zaqar_trove_tests.common import identity
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging
from zaqar_trove_tests.tests.api import base


def victim_requests(victim):
    """(label, client class, method, args) of every request tried.

    Reads and deletes come before writes: a post creates the sender's own
    queue of that name, after which deleting by id hits the separate
    message-id-scope finding (tested in test_isolation_projects).
    """
    queue, message_id = victim.queue, victim.message_ids[-1]
    return [
        ('list queues', messaging.QueuesClient, 'list_queues', ()),
        ('queue stats', messaging.QueuesClient, 'show_queue_stats', (queue,)),
        ('list messages', messaging.MessagesClient, 'list_messages',
         (queue,)),
        ('show message', messaging.MessagesClient, 'show_message',
         (queue, message_id)),
        ('claim', messaging.ClaimsClient, 'claim_messages', (queue,)),
        ('show claim', messaging.ClaimsClient, 'show_claim',
         (queue, victim.claim_id)),
        ('delete message', messaging.MessagesClient, 'delete_message',
         (queue, message_id)),
        ('delete queue', messaging.QueuesClient, 'delete_queue', (queue,)),
        ('post message', messaging.MessagesClient, 'post_messages',
         (queue, [{'body': 'forged', 'ttl': 300}])),
        ('share queue', messaging.SharesClient, 'create_signed_url',
         (queue,)),
    ]


class BadIdentityTest(base.TwoProjectsTest):

    def setUp(self):
        super().setUp()
        self.victim = resources.victim(self.primary, self.addCleanup)
        self.before = resources.observe_victim(self.primary, self.victim)

    def send_all(self, provider):
        """Every victim request as ``provider``; label -> outcome.

        The outcome is the response body, or the error status.
        """
        outcomes = {}
        for label, client_class, method, args in victim_requests(
                self.victim):
            client = self.primary.as_(client_class, provider)
            try:
                outcomes[label] = getattr(client, method)(*args)
            except exceptions.RestClientException as exc:
                outcomes[label] = exc.resp.status
        return outcomes

    def check_all_refused(self, provider, status=401):
        outcomes = self.send_all(provider)
        resources.assert_intact(self, self.primary, self.victim, self.before)
        self.assertEqual({label: status for label in outcomes}, outcomes)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('823ef026-6fae-42e1-b56f-2b44e6e0df17')
    def test_no_identity_is_refused(self):
        self.check_all_refused(auth.no_auth)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('f91c18de-03e4-42cb-93e5-04b27490cc5e')
    def test_project_header_without_token_is_refused(self):
        self.check_all_refused(lambda url: auth.StaticAuthProvider(
            url, {'X-Project-ID': self.primary.project_id}))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('c275c585-4377-43bd-bc94-0be9ee3e9645')
    def test_malformed_token_is_refused(self):
        self.check_all_refused(lambda url: auth.token(
            url, 'not-a-token', self.primary.project_id))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('73b63790-ab8d-4c7b-8194-771ad734b54f')
    def test_tampered_token_is_refused(self):
        token = identity.fresh_token(self.os_primary)
        tampered = token[:-4] + ('AAAA' if token[-4:] != 'AAAA' else 'BBBB')
        self.check_all_refused(lambda url: auth.token(
            url, tampered, self.primary.project_id))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('5b46244d-fd52-41be-b5ae-0da9b10f486d')
    def test_revoked_token_is_refused(self):
        token = identity.revoked_token(self.os_primary)
        self.check_all_refused(lambda url: auth.token(
            url, token, self.primary.project_id))

    @decorators.attr(type=['negative', 'slow'])
    @decorators.idempotent_id('906bf4a1-c057-40fd-8ed2-34acb66bbea5')
    def test_expired_token_is_refused(self):
        token = identity.expired_token(self.os_primary, self.addCleanup)
        self.check_all_refused(lambda url: auth.token(
            url, token, self.primary.project_id))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('26699418-b4ca-4e34-bc14-5c293d34b996')
    def test_unscoped_token_with_project_header_is_refused(self):
        token = identity.fresh_token(self.os_primary, scoped=False)
        outcomes = self.send_all(lambda url: auth.token(
            url, token, self.primary.project_id))
        resources.assert_intact(self, self.primary, self.victim, self.before)
        refused = {label: outcome for label, outcome in outcomes.items()
                   if outcome in (400, 401, 403)}
        self.assertEqual(outcomes, refused)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('13f120aa-9a69-4491-aa3a-2223d28c0992')
    def test_alt_token_with_primary_project_header_stays_in_alt(self):
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.alt.queues.delete_queue, self.victim.queue)
        outcomes = self.send_all(lambda url: auth.token(
            url, self.alt.auth_provider.get_token(),
            self.primary.project_id))
        resources.assert_intact(self, self.primary, self.victim, self.before)
        # Whatever the alt project was allowed, it happened in its own
        # project: nothing of the victim came back.
        self.assertEqual(404, outcomes['show message'])
        self.assertEqual(404, outcomes['show claim'])
        self.assertNotIn(self.victim.queue, [
            q['name'] for q in outcomes['list queues']['queues']])
        self.assertEqual([], outcomes['list messages']['messages'])
        self.assertEqual({}, outcomes['claim'])
        self.assertEqual(0, outcomes['queue stats']['messages']['total'])
        self.assertNotEqual(self.primary.project_id,
                            outcomes['share queue']['project'])
