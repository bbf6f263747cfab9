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


"""DEL-3: a claim owns its messages until deleted, released or expired.

(The slow class also covers DEL-4's dead-letter queue.)

Consumers are peers of one project with their own Client-IDs. Which
messages are free is seen by listing (the listing filters claimed
messages one by one); what a claim holds, by showing the claim.
"""

import time

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.api import base

CONF = config.CONF


def ids(messages):
    return [message['id'] for message in messages]


class ClaimTestBase(base.MessagingTest):
    """What the claim tests share; holds no test."""

    def consumer(self):
        return delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary)))

    def free(self, queue):
        """Ids of the queue's unclaimed messages, as an observer lists.

        One page: these queues hold a few messages, and following the
        marker of a queue's first message would restart the listing
        (listing-marker-restart).
        """
        return ids(self.primary.messages.list_messages(
            queue, echo=True)['messages'])

    def held(self, queue, claim_id):
        """Ids of the messages the claim holds."""
        return ids(self.primary.claims.show_claim(queue, claim_id)['messages'])


class ClaimsTest(ClaimTestBase):

    def setUp(self):
        super().setUp()
        self.queue = resources.create_queue(self.primary, self.addCleanup)
        self.ids = resources.post(self.primary, self.queue,
                                  [{'n': n} for n in range(3)])
        self.first, self.second = self.consumer(), self.consumer()

    @decorators.idempotent_id('54702341-a1fe-4264-a7d3-4d2c60bf53ba')
    def test_claimed_messages_are_hidden_from_other_consumers(self):
        claim_id, claimed = self.first.claim(self.queue, 3)
        self.assertEqual(self.ids, ids(claimed))
        self.assertEqual((None, []), self.second.claim(self.queue, 10))
        self.assertEqual([], self.free(self.queue))
        self.assertEqual(self.ids, self.held(self.queue, claim_id))

    @decorators.idempotent_id('13e69c17-9fd4-4c1b-8248-0b7e0266ba68')
    def test_released_claim_frees_its_messages_at_once(self):
        claim_id, _ = self.first.claim(self.queue, 3)
        self.first.release(self.queue, claim_id)
        _, again = self.second.claim(self.queue, 10)
        self.assertEqual(self.ids, ids(again))
        self.assertRaises(exceptions.NotFound,
                          self.primary.claims.show_claim, self.queue,
                          claim_id)

    @decorators.idempotent_id('528ae70f-6ac2-4358-9fce-43fb0159959e')
    def test_message_deleted_with_its_claim_never_returns(self):
        claim_id, _ = self.first.claim(self.queue, 2)
        self.first.delete(self.queue, self.ids[0], claim_id)
        self.first.release(self.queue, claim_id)
        _, again = self.second.claim(self.queue, 10)
        self.assertEqual(self.ids[1:], ids(again))
        self.assertRaises(exceptions.NotFound,
                          self.primary.messages.show_message, self.queue,
                          self.ids[0])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('ac41d881-46b8-4103-9979-a2d1d2bbc9c2')
    def test_other_consumer_cannot_delete_a_claimed_message(self):
        mine, _ = self.first.claim(self.queue, 1)
        theirs, _ = self.second.claim(self.queue, 1)
        self.assertRaises(exceptions.Forbidden, self.second.delete,
                          self.queue, self.ids[0], theirs)
        self.assertRaises(exceptions.Forbidden, self.second.delete,
                          self.queue, self.ids[0], None)
        self.assertRaises(exceptions.BadRequest, self.second.delete,
                          self.queue, self.ids[0], data_utils.rand_uuid())
        self.assertEqual(self.ids[:1], self.held(self.queue, mine))
        self.first.delete(self.queue, self.ids[0], mine)
        self.assertEqual([], self.held(self.queue, mine))
        self.assertEqual(self.ids[1:2], self.held(self.queue, theirs))

    @decorators.idempotent_id('af54c80b-a1af-4350-b7ad-121d8df4d48c')
    def test_renewed_claim_restarts_with_its_new_ttl(self):
        """Renewing past the messages' own TTL extends them too."""
        claim_id, _ = self.first.claim(self.queue, 3)
        self.first.clients.claims.update_claim(self.queue, claim_id,
                                               ttl=600, grace=60)
        claim = self.primary.claims.show_claim(self.queue, claim_id)
        self.assertEqual(600, claim['ttl'])
        self.assertLessEqual(claim['age'], 1)
        self.assertEqual(self.ids, ids(claim['messages']))
        for message in claim['messages']:
            self.assertGreaterEqual(message['ttl'] - message['age'],
                                    claim['ttl'] - claim['age'] - 1,
                                    'message %s would die before its claim'
                                    % message['id'])

    @decorators.idempotent_id('635d6f5e-85d5-4647-b7d8-aba878d17b5b')
    def test_live_claim_keeps_its_messages_when_an_earlier_one_frees(self):
        """A released message ahead of a claimed one: claim takes only it.

        first holds message 0, second holds message 1, first releases;
        a third consumer's claim must get messages 0 and 2, not 1.
        """
        mine, _ = self.first.claim(self.queue, 1)
        theirs, _ = self.second.claim(self.queue, 1)
        self.first.release(self.queue, mine)
        _, third = self.consumer().claim(self.queue, 10)
        self.assertIn(self.ids[0], ids(third))
        self.assertEqual(self.ids[1:2], self.held(self.queue, theirs))
        defects.expect(self, 'claim-steals-claimed', ids(third),
                       correct=[self.ids[0], self.ids[2]], symptom=self.ids)


class ClaimExpiryTest(ClaimTestBase):
    """Claims that run out (waits out Zaqar's 60 s minimum claim TTL).

    One timeline serves DEL-3 (expiry, renewal) and DEL-4's dead-letter
    queue, so that the slow tests stay few and run side by side.
    """

    def queue(self, **metadata):
        return resources.create_queue(self.primary, self.addCleanup,
                                      metadata=metadata or None)

    @decorators.attr(type=['slow'])
    @decorators.idempotent_id('feed3486-4e08-44f0-9506-68cac8be52d9')
    def test_claims_run_out_renewals_extend_and_max_claims_dead_letter(self):
        """60 s claims expire, a renewed one later, a poisoned message moves.

        Steps: claim two messages on queue X, one on queue R, and the one
        message of queue P (``_max_claim_count`` 1, dead-letter queue D);
        delete one of X's with its claim; renew R's claim (60 s) when it
        is 8 s old. Once X's undeleted message is free (not before 60 s;
        the deleted one never): R's message is still held; P's message
        comes back and the next claim moves it to D with its body; a
        consumer of D can claim it. R's message is free 60 s after the
        renewal.
        """
        expiring, renewed, dead = self.queue(), self.queue(), self.queue()
        poisoned = self.queue(_max_claim_count=1, _dead_letter_queue=dead)
        posted = resources.post(self.primary, expiring, ['a', 'b'])
        kept = resources.post(self.primary, renewed, ['r'])
        poison = resources.post(self.primary, poisoned, ['poison'], ttl=600)
        consumer, other = self.consumer(), self.consumer()
        ttl = delivery.CLAIM_TTL

        start = time.monotonic()
        expiring_claim, _ = consumer.claim(expiring, 2, ttl=ttl)
        renewed_claim, _ = consumer.claim(renewed, 1, ttl=ttl)
        self.assertEqual(poison, ids(consumer.claim(poisoned, 1, ttl=ttl)[1]))
        consumer.delete(expiring, posted[0], expiring_claim)
        waiters.wait_until(
            lambda: self.primary.claims.show_claim(
                renewed, renewed_claim)['age'] >= 8,
            30, interval=0.5, what='claim 8 s old')
        consumer.clients.claims.update_claim(renewed, renewed_claim,
                                             ttl=ttl, grace=60)
        renewed_at = time.monotonic()

        timeout = ttl + CONF.zaqar_trove.build_timeout
        waiters.wait_until(lambda: self.free(expiring), timeout,
                           interval=0.5, what='expired claim message free')
        self.assertGreaterEqual(time.monotonic() - start, ttl - 1)
        self.assertEqual(posted[1:], self.free(expiring))
        self.assertEqual((None, []), other.claim(renewed, 10))
        self.assertEqual(kept, self.held(renewed, renewed_claim))

        waiters.wait_until(lambda: self.free(poisoned), timeout,
                           interval=0.5, what='poisoned message free')
        self.assertEqual((None, []), other.claim(poisoned, 10))
        self.assertEqual(0, self.primary.queues.show_queue_stats(
            poisoned)['messages']['total'])
        moved = self.primary.messages.show_messages(dead, poison)
        self.assertEqual(['poison'], [m['body'] for m in moved['messages']])

        waiters.wait_until(lambda: self.free(renewed), timeout,
                           interval=0.5, what='renewed claim message free')
        self.assertGreaterEqual(time.monotonic() - renewed_at, ttl - 2)
        self.assertEqual(kept, ids(other.claim(renewed, 10)[1]))

        defects.expect(self, 'dead-letter-claimed',
                       ids(other.claim(dead, 10)[1]), correct=poison,
                       symptom=[])
