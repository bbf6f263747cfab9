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


"""DEL-4: message lifetimes, delays and dead letters.

Message TTL and the queue default (``_default_message_ttl``), delayed
queues (``_default_message_delay``) and per-message ``delay``. Delays may
be short, so those tests are fast; expiry waits out Zaqar's 60 s minimum
TTL in a class of its own. The dead-letter queue after
``_max_claim_count`` shares the claim-expiry timeline
(test_delivery_claims.ClaimExpiryTest).
"""

import time

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions
from testtools import matchers

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.api import base

CONF = config.CONF

#: Zaqar's minimum message TTL.
MIN_TTL = 60


def ids(messages):
    return [message['id'] for message in messages]


class LifetimeTestBase(base.MessagingTest):
    """What the lifetime tests share; holds no test."""

    def consumer(self):
        return delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary)))

    def queue(self, **metadata):
        return resources.create_queue(self.primary, self.addCleanup,
                                      metadata=metadata or None)

    def post(self, queue, *messages):
        result = self.primary.messages.post_messages(queue, list(messages))
        return [href.rsplit('/', 1)[-1] for href in result['resources']]

    def visible(self, queue):
        """Ids an observer lists (no delayed or claimed message)."""
        return ids(self.primary.messages.list_messages(
            queue, echo=True)['messages'])


class LifetimesTest(LifetimeTestBase):

    @decorators.idempotent_id('7c95f8f9-5144-4cf5-a35c-059f25dddfc0')
    def test_queue_default_ttl_applies_to_messages_without_ttl(self):
        queue = self.queue(_default_message_ttl=120)
        self.post(queue, {'body': 'default'}, {'body': 'own', 'ttl': 300})
        listed = self.primary.messages.list_messages(queue, echo=True)
        self.assertEqual({'default': 120, 'own': 300},
                         {m['body']: m['ttl'] for m in listed['messages']})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('8986533b-0994-4635-8322-d0eb01e54bc6')
    def test_message_ttl_below_minimum_is_refused(self):
        queue = self.queue()
        self.assertRaises(exceptions.BadRequest, self.post, queue,
                          {'body': 'short', 'ttl': MIN_TTL - 1})
        self.assertEqual([], self.visible(queue))

    @decorators.idempotent_id('2b37792e-4d68-46fb-b03b-3df73b7578d0')
    def test_delayed_queue_holds_messages_until_the_delay_ends(self):
        delay = 5
        queue = self.queue(_default_message_delay=delay)
        consumer = self.consumer()
        start = time.monotonic()
        posted = self.post(queue, {'body': 'later', 'ttl': 300})
        self.assertEqual((None, []), consumer.claim(queue, 10))
        self.assertEqual([], self.visible(queue))
        claimed = waiters.wait_until(
            lambda: consumer.claim(queue, 10)[1],
            delay + CONF.zaqar_trove.build_timeout, interval=0.5,
            what='delayed message claimable')
        self.assertGreaterEqual(time.monotonic() - start, delay - 1)
        self.assertEqual(posted, ids(claimed))

    @decorators.idempotent_id('8f8dd740-80f9-476a-aaf4-105e6f9b5b57')
    def test_message_delay_overrides_the_queue_default(self):
        queue = self.queue(_default_message_delay=MIN_TTL)
        posted = self.post(queue, {'body': 'now', 'ttl': 300, 'delay': 0})
        _, claimed = self.consumer().claim(queue, 10)
        self.assertEqual(posted, ids(claimed))

    @decorators.idempotent_id('93ddc2a3-b7e6-4562-bcaf-d6a16a0af7f9')
    def test_message_delay_holds_the_message_on_any_queue(self):
        queue = self.queue()
        posted = self.post(queue, {'body': 'later', 'ttl': 300,
                                   'delay': MIN_TTL})
        _, claimed = self.consumer().claim(queue, 10)
        defects.expect(self, 'message-delay-ignored', ids(claimed),
                       correct=[], symptom=posted)

    @decorators.idempotent_id('1dd781f9-ab4f-462b-9160-fc891dab69d3')
    def test_claim_leaves_delayed_message_behind_a_free_one(self):
        queue = self.queue(_default_message_delay=MIN_TTL)
        posted = self.post(queue, {'body': 'now', 'ttl': 300, 'delay': 0},
                           {'body': 'later', 'ttl': 300})
        self.assertEqual(posted[:1], self.visible(queue))
        _, claimed = self.consumer().claim(queue, 10)
        defects.expect(self, 'claim-ignores-delay', ids(claimed),
                       correct=posted[:1], symptom=posted)

    @decorators.idempotent_id('0e99f86f-0b3f-4091-9745-4f86a604f90f')
    def test_websocket_post_honours_the_queue_delay(self):
        if not CONF.zaqar_trove_feature_enabled.websocket:
            raise self.skipException('The websocket API is not deployed')
        queue = self.queue(_default_message_delay=MIN_TTL)
        connection = self.primary.websocket()
        self.addCleanup(connection.close)
        posted = connection.message_post(
            queue, [{'body': 'later', 'ttl': 300}])['message_ids']
        _, claimed = self.consumer().claim(queue, 10)
        defects.expect(self, 'websocket-delay-ignored', ids(claimed),
                       correct=[], symptom=posted)


class MessageExpiryTest(LifetimeTestBase):
    """Messages that run out (waits out Zaqar's 60 s minimum TTL)."""

    @decorators.attr(type=['slow'])
    @decorators.idempotent_id('3ce3bd81-f570-4e8d-8f3a-c62b34bb7dd2')
    def test_messages_expire_after_their_ttl_or_the_queue_default(self):
        """A 60 s message and a queue-default 60 s one expire; others stay.

        Steps: post a 60 s and a 300 s message to one queue, a message
        without TTL to a queue whose default TTL is 60 s; wait until the
        short-lived ones are gone (not before 60 s); the 300 s one is
        still there, and the queue's stats can be read.
        """
        own = self.queue()
        default = self.queue(_default_message_ttl=MIN_TTL)
        start = time.monotonic()
        short, long = self.post(own, {'body': 'short', 'ttl': MIN_TTL},
                                {'body': 'long', 'ttl': 300})
        self.post(default, {'body': 'default'})
        waiters.wait_until(
            lambda: not self.visible(default) and self.visible(own) == [long],
            MIN_TTL + CONF.zaqar_trove.build_timeout, interval=0.5,
            what='60 s messages gone')
        self.assertGreaterEqual(time.monotonic() - start, MIN_TTL - 1)
        self.assertRaises(exceptions.NotFound,
                          self.primary.messages.show_message, own, short)

        def settled_stats():
            """The stats, once they stop showing the expired message.

            Redis drops an expired message's data up to a second after
            the API stops listing it.
            """
            try:
                stats = self.primary.queues.show_queue_stats(own)['messages']
            except exceptions.RestClientException as exc:
                return 'HTTP %s' % exc.resp.status
            return None if (stats.get('oldest') or {}).get(
                'body') == 'short' else stats

        stats = waiters.wait_until(settled_stats, 10, interval=0.2,
                                   what='stats without the expired message')
        defects.expect(self, 'stats-after-expiry', stats,
                       correct=matchers.IsInstance(dict), symptom='HTTP 503')
