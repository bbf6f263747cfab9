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


"""Observers: listing with a marker sees every message once, in order.

An observer lists instead of claiming: it consumes nothing, each observer
sees everything, and following ``next`` links (the marker is the last
message seen) it sees each message once, in the order posted. ``echo``
decides whether a client lists its own messages.
"""

import uuid

from tempest import config
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


class ObserversTest(base.MessagingTest):

    def setUp(self):
        super().setUp()
        self.queue = resources.create_queue(self.primary, self.addCleanup)
        self.run_id = uuid.uuid4().hex
        self.producer = self.peer()

    def peer(self):
        return delivery.as_peer(self.zaqar_clients(self.os_primary))

    def post(self, peer, count, batch=10, producer='p'):
        bodies = [delivery.body(self.run_id, producer, n)
                  for n in range(count)]
        return delivery.post_bodies(delivery.HttpChannel(peer), self.queue,
                                    bodies, batch)

    def pages(self, peer, **kwargs):
        """``marker -> page`` of ``peer``'s listing of the queue."""
        return lambda marker: peer.messages.list_messages(
            self.queue, marker=marker, **kwargs)

    @decorators.idempotent_id('00b2cdd9-a3c4-4adc-a1d5-efc8114f57af')
    def test_observers_page_through_every_message_once_in_order(self):
        posted = self.post(self.producer, 45)
        for observer in (self.peer(), self.peer()):
            seen, _ = delivery.read_pages(self.pages(observer))
            self.assertEqual(posted, ids(seen))
        self.assertEqual(45, self.primary.queues.show_queue_stats(
            self.queue)['messages']['free'])

    @decorators.idempotent_id('1cb6e649-8de8-4af7-bae1-7fff97ca978c')
    def test_observer_tailing_a_live_queue_sees_every_message_once(self):
        ledger = delivery.Ledger()
        producer = delivery.Producer(
            'p', delivery.HttpChannel(self.producer), self.queue,
            [delivery.body(self.run_id, 'p', n) for n in range(60)], ledger,
            batch=5)
        observer, seen, marker = self.pages(self.peer()), [], [None]

        def tail():
            more, marker[0] = delivery.read_pages(observer, marker[0])
            seen.extend(more)
            return not producer.is_alive() and len(seen) >= 60

        producer.start()
        try:
            waiters.wait_until(tail, CONF.zaqar_trove.build_timeout,
                               interval=0.05, what='60 messages observed')
        finally:
            producer.join(CONF.zaqar_trove.build_timeout)
        self.assertEqual([], ledger.errors)
        self.assertEqual(list(ledger.posted), ids(seen))

    @decorators.idempotent_id('4e761da5-ce84-48d9-a7a1-7a17fcf4371f')
    def test_echo_decides_whether_a_client_lists_its_own_messages(self):
        other, observer = self.peer(), self.peer()
        mine = self.post(self.producer, 2, producer='mine')
        theirs = self.post(other, 1, producer='theirs')
        mine += self.post(self.producer, 1, producer='mine')
        everything = mine[:2] + theirs + mine[2:]

        def listed(peer, echo):
            return ids(delivery.read_pages(self.pages(peer, echo=echo))[0])

        self.assertEqual(theirs, listed(self.producer, echo=False))
        self.assertEqual(everything, listed(self.producer, echo=True))
        self.assertEqual(mine, listed(other, echo=False))
        self.assertEqual(everything, listed(observer, echo=False))

    @decorators.idempotent_id('424c5e09-df3e-4644-b576-695fcf1c273f')
    def test_paging_one_message_at_a_time_sees_each_once(self):
        posted = self.post(self.producer, 3)
        seen, _ = delivery.read_pages(self.pages(self.peer(), limit=1),
                                      max_pages=len(posted) + 1)
        defects.expect(self, 'listing-marker-restart', ids(seen),
                       correct=posted, symptom=posted[:1] * (len(posted) + 1))

    @decorators.idempotent_id('a0c27063-dd14-4d85-83c1-2693872bd830')
    def test_marker_of_a_consumed_message_continues_after_it(self):
        """The marker's message is consumed: the listing goes on after it.

        Steps: observe five messages; the fifth (the marker) is consumed;
        three more are posted; the next pages hold those three.
        """
        observer = self.pages(self.peer())
        posted = self.post(self.producer, 5)
        seen, marker = delivery.read_pages(observer)
        self.assertEqual(posted, ids(seen))
        self.assertEqual(posted[-1], marker)
        self.producer.messages.delete_message(self.queue, marker)
        later = self.post(self.producer, 3, producer='later')
        more, _ = delivery.read_pages(observer, marker)
        defects.expect(self, 'listing-marker-restart', ids(more),
                       correct=later, symptom=posted[:-1] + later)

    @decorators.idempotent_id('a17a2305-89be-4e9b-b610-5c15e6b81e22')
    def test_listing_with_claimed_messages_includes_them(self):
        posted = self.post(self.producer, 3)
        resources.claim(self.peer(), self.queue, limit=1)
        try:
            listed = ids(self.peer().messages.list_messages(
                self.queue, include_claimed=True)['messages'])
        except exceptions.RestClientException as exc:
            listed = 'HTTP %s' % exc.resp.status
        defects.expect(self, 'include-claimed-listing', listed,
                       correct=posted, symptom='HTTP 503')
