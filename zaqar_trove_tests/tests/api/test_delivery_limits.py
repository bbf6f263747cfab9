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


"""DEL-6: size limits and all-or-nothing batches.

Zaqar limits the size of a POST document (``[transport]
max_messages_post_size``, mirrored by ``[zaqar_trove]
max_messages_post_size``, and a queue's ``_max_messages_post_size``). A
document of exactly the limit is accepted and its message delivered
unchanged; one byte more is a 400 naming the limit; a batch with any bad
message stores none of them.
"""

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions
from testtools import matchers

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.common import delivery
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.tests.api import base

CONF = config.CONF

#: Unicode, escapes, nesting and every JSON type, padded to the limit.
CONTENT = {
    'text': 'Gr\u00fc\u00dfe, \u4e16\u754c \u2603 \U0001f600',
    'escapes': '"\\/\b\f\n\r\t\x00',
    'nested': {'list': [1, -2.5, None, True, False, 'x'], 'empty': {},
               'deep': [[[{'k': 'v'}]]]},
}


class LimitsTest(base.MessagingTest):

    def setUp(self):
        super().setUp()
        self.queue = resources.create_queue(self.primary, self.addCleanup)
        self.limit = CONF.zaqar_trove.max_messages_post_size
        self.consumer = delivery.HttpChannel(delivery.as_peer(
            self.zaqar_clients(self.os_primary)))

    def post(self, messages, queue=None):
        return self.primary.messages.post_messages(queue or self.queue,
                                                   messages)

    def stored(self, queue=None):
        return self.primary.queues.show_queue_stats(
            queue or self.queue)['messages']['total']

    def check_arrives_identical(self, size, queue):
        messages = delivery.pad_to_post_size(
            size, [{'body': CONTENT, 'ttl': 300}])
        self.post(messages, queue)
        _, claimed = self.consumer.claim(queue, 1)
        self.assertEqual(messages[0]['body'], claimed[0]['body'])
        self.assertEqual(size, delivery.post_document_size(
            [{'body': claimed[0]['body'], 'ttl': 300}]))

    def check_refused_over(self, size, queue):
        messages = delivery.pad_to_post_size(
            size + 1, [{'body': {'n': 1}, 'ttl': 300}])
        error = self.assertRaises(exceptions.BadRequest, self.post, messages,
                                  queue)
        self.assertIn('too large', error.resp_body['description'])
        self.assertIn(str(size), error.resp_body['description'])
        self.assertEqual(0, self.stored(queue))

    @decorators.idempotent_id('f8310798-d84d-4340-80ba-31e48443541d')
    def test_message_at_the_size_limit_arrives_identical(self):
        self.check_arrives_identical(self.limit, self.queue)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('47b65511-9d7a-46a4-a113-bcec42b1ef6b')
    def test_one_byte_over_the_size_limit_is_refused(self):
        self.check_refused_over(self.limit, self.queue)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('acc8e478-2570-4397-8788-00217d10dad9')
    def test_batch_one_byte_over_the_size_limit_stores_nothing(self):
        messages = delivery.pad_to_post_size(
            self.limit + 1,
            [{'body': {'n': n}, 'ttl': 300} for n in range(10)])
        self.assertRaises(exceptions.BadRequest, self.post, messages)
        self.assertEqual(0, self.stored())

    @decorators.idempotent_id('311c81c7-608e-4d27-9e90-ed599c5b0ec9')
    def test_queue_size_limit_applies_exactly(self):
        size = 2048
        queue = resources.create_queue(
            self.primary, self.addCleanup,
            metadata={'_max_messages_post_size': size})
        self.check_refused_over(size, queue)
        self.check_arrives_identical(size, queue)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('45283c08-e090-4d1a-8924-fd1cf9c9308a')
    def test_batch_with_one_invalid_message_stores_nothing(self):
        good = {'body': 'good', 'ttl': 300}
        for bad in ({'body': 'short', 'ttl': 59},
                    {'ttl': 300},
                    {'body': 'word', 'ttl': 'soon'}):
            self.assertRaises(exceptions.BadRequest, self.post,
                              [good, bad, good])
        self.assertEqual(0, self.stored())
        self.assertEqual((None, []), self.consumer.claim(self.queue, 10))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('f6c2df26-cf89-4e1e-978d-a73b49bcd468')
    def test_batch_with_a_message_not_an_object_is_refused(self):
        error = self.assertRaises(exceptions.RestClientException, self.post,
                                  [{'body': 'good', 'ttl': 300}, 'bad'])
        self.assertEqual(0, self.stored())
        defects.expect(self, 'non-object-message-500',
                       (error.resp.status, error.resp_body),
                       correct=matchers.MatchesListwise([
                           matchers.Equals(400), matchers.Always()]),
                       symptom=matchers.MatchesListwise([
                           matchers.Equals(500), matchers.MatchesDict({
                               'title': matchers.Equals(
                                   'Internal server error'),
                               'description': matchers.StartsWith(
                                   'string indices must be integers')})]))
