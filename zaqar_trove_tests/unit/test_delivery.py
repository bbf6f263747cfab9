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

"""The pure logic of common.delivery: ledger, sizes, markers."""

import testtools

from zaqar_trove_tests.common import delivery


def messages(*ids):
    return [{'id': mid, 'body': {'seq': mid}} for mid in ids]


class LedgerTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.ledger = delivery.Ledger()
        self.ledger.record_posted(['a', 'b'], [{'seq': 'a'}, {'seq': 'b'}])

    def consume(self, claim_id, *ids):
        self.ledger.record_claim('c', claim_id, messages(*ids))
        for mid in ids:
            self.ledger.record_deleted(mid)

    def test_every_message_once_is_no_fault(self):
        self.consume('x', 'a')
        self.assertFalse(self.ledger.complete(2))
        self.consume('y', 'b')
        self.assertTrue(self.ledger.complete(2))
        self.assertEqual({}, self.ledger.faults())
        self.assertEqual([], self.ledger.steals())

    def test_lost_unknown_and_changed_messages_are_losses(self):
        self.ledger.record_claim('c', 'x', [{'id': 'a', 'body': 'other'}])
        self.ledger.record_claim('c', 'x', messages('z'))
        self.assertEqual({'undelivered': ['b'], 'not deleted': ['a', 'b'],
                          'unknown': ['z'], 'body changed': ['a']},
                         self.ledger.losses())
        self.assertIn('undelivered: 1', self.ledger.summary())

    def test_second_delivery_is_a_fault_unless_redelivery(self):
        self.consume('x', 'a', 'b')
        self.ledger.record_claim('c', 'y', messages('a'))
        self.assertEqual({'delivered twice': ['a']}, self.ledger.faults())
        self.ledger.redelivery = True
        self.assertEqual({}, self.ledger.faults())

    def test_delivery_while_held_by_another_claim_is_an_overlap(self):
        self.ledger.record_claim('c1', 'x', messages('a'))
        self.ledger.record_claim('c2', 'y', messages('a'))
        self.assertEqual([('a', 'x', 'y')], self.ledger.steals())

    def test_delivery_after_release_is_no_overlap(self):
        self.ledger.record_claim('c1', 'x', messages('a'))
        self.ledger.record_release('x', ['a'])
        self.ledger.record_claim('c2', 'y', messages('a'))
        self.assertEqual([], self.ledger.steals())

    def test_refused_deletes_are_steals_and_double_deletes_faults(self):
        self.consume('x', 'a', 'b')
        self.ledger.record_deleted('a')
        self.ledger.record_refused('c', 'b', ValueError('403'))
        self.assertEqual(['a'], self.ledger.faults()['deleted twice'])
        self.assertEqual([('c', 'b', 'ValueError: 403')],
                         self.ledger.steals())


class SizesAndMarkersTest(testtools.TestCase):

    def test_padding_hits_the_size_exactly(self):
        for size in (300, 2048, 262144):
            batch = delivery.pad_to_post_size(
                size, [{'body': {'n': 1}, 'ttl': 60},
                       {'body': {'text': '\u4e16'}, 'ttl': 60}])
            self.assertEqual(size, delivery.post_document_size(batch))
            self.assertEqual({'n': 1}, batch[0]['body'])

    def test_padding_below_the_content_size_fails(self):
        self.assertRaises(ValueError, delivery.pad_to_post_size, 10,
                          [{'body': {'n': 1}, 'ttl': 60}])

    def test_next_marker_is_read_from_the_next_link(self):
        page = {'links': [{'rel': 'next', 'href':
                           '/v2/queues/q/messages?echo=true&marker=m7'}]}
        self.assertEqual('m7', delivery.next_marker(page))
        self.assertIsNone(delivery.next_marker({'links': []}))

    def test_read_pages_follows_markers_until_an_empty_page(self):
        pages = {None: ['m1', 'm2'], 'm2': ['m3'], 'm3': []}

        def list_page(marker):
            found = [{'id': mid} for mid in pages[marker]]
            links = [{'rel': 'next', 'href': '?marker=%s' % found[-1]['id']}
                     ] if found else []
            return {'messages': found, 'links': links}

        seen, marker = delivery.read_pages(list_page)
        self.assertEqual(['m1', 'm2', 'm3'], [m['id'] for m in seen])
        self.assertEqual('m3', marker)
        self.assertEqual(([], 'm3'), delivery.read_pages(list_page, 'm3'))

    def test_read_pages_stops_after_max_pages(self):
        def list_page(marker):
            return {'messages': [{'id': 'm1'}],
                    'links': [{'rel': 'next', 'href': '?marker=m1'}]}

        seen, _ = delivery.read_pages(list_page, max_pages=3)
        self.assertEqual(3, len(seen))
