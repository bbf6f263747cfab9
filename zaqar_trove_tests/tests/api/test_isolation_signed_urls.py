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


"""ISO-3: a pre-signed URL grants exactly what it names, over HTTP.

The victim queue of the primary project is shared with a signature for
``paths`` and ``methods``; every test uses that signature (as is, or with
one field changed) where it must not work, and asserts the refusal (Zaqar
answers 404 to every refused signature) and that every queue involved is
unchanged. Positive controls show the same signature does work where it
should, so a refusal means something.
"""

import datetime

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging
from zaqar_trove_tests.tests.api import base

CONF = config.CONF


def expires_in(seconds):
    """Zaqar's ``expires`` format, ``seconds`` from now (UTC)."""
    moment = (datetime.datetime.now(datetime.timezone.utc) +
              datetime.timedelta(seconds=seconds))
    return moment.strftime('%Y-%m-%dT%H:%M:%S')


class SignedUrlTest(base.TwoProjectsTest):

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.signed_urls:
            raise cls.skipException('Pre-signed URLs are not enabled')

    def setUp(self):
        super().setUp()
        self.victim = resources.victim(self.primary, self.addCleanup)
        self.before = resources.observe_victim(self.primary, self.victim)

    def share(self, queue=None, paths=('messages',), methods=('GET',),
              **kwargs):
        return self.primary.shares.create_signed_url(
            queue or self.victim.queue, paths=list(paths),
            methods=list(methods), **kwargs)

    def signed(self, client_class, signed, overrides=None):
        """A ``client_class`` that carries ``signed`` (and no token)."""
        return self.primary.as_(client_class, lambda url: auth.signed_url(
            url, signed, overrides))

    def list_free(self, signed, queue=None, overrides=None):
        """Ids the signed client lists in ``queue``; None when refused."""
        client = self.signed(messaging.MessagesClient, signed, overrides)
        try:
            page = client.list_messages(queue or self.victim.queue)
        except exceptions.NotFound:
            return None
        return sorted(m['id'] for m in page['messages'])

    def other_victim(self, name=None):
        other = resources.victim(self.primary, self.addCleanup, name=name)
        return other, resources.observe_victim(self.primary, other)

    def assert_intact(self, victim=None, before=None):
        resources.assert_intact(self, self.primary, victim or self.victim,
                                before or self.before)

    @decorators.idempotent_id('788cf36d-cd41-4830-9cdf-2e0c6fc444af')
    def test_signed_url_lists_and_shows_its_queue(self):
        signed = self.share()
        listed = self.list_free(signed)
        shown = self.signed(messaging.MessagesClient, signed).show_message(
            self.victim.queue, self.victim.message_ids[-1])
        self.assert_intact()
        self.assertEqual(self.before.free, listed)
        self.assertEqual(self.before.messages[self.victim.message_ids[-1]],
                         shown['body'])

    @decorators.idempotent_id('898c1b27-41b7-4452-9ae0-216b22d30834')
    def test_signed_url_grants_exactly_its_methods(self):
        signed = self.share(methods=('GET', 'POST'))
        client = self.signed(messaging.MessagesClient, signed)
        posted = client.post_messages(self.victim.queue,
                                      [{'body': 'via signed url', 'ttl': 60}])
        posted_id = posted['resources'][0].rsplit('/', 1)[-1]
        self.assertRaises(exceptions.NotFound, client.delete_message,
                          self.victim.queue, posted_id)
        self.assertIn(posted_id, self.list_free(signed))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('3b535939-2993-4f54-bcbe-59c6d7ace5ae')
    def test_signed_url_refused_on_another_queue_of_its_project(self):
        other, other_before = self.other_victim()
        listed = self.list_free(self.share(), queue=other.queue)
        self.assert_intact(other, other_before)
        self.assertIsNone(listed)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('908d2158-4a6d-4982-a6da-bebf1f6b4096')
    def test_signed_url_refused_on_queues_named_alike(self):
        names = [self.victim.queue + 'x', 'x' + self.victim.queue,
                 self.victim.queue[:-1], self.victim.queue.upper()]
        others = [self.other_victim(name) for name in names]
        signed = self.share()
        listed = {other.queue: self.list_free(signed, queue=other.queue)
                  for other, _ in others}
        for other, other_before in others:
            self.assert_intact(other, other_before)
        self.assertEqual(dict.fromkeys(names), listed)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('7fbd2263-bfe9-4100-abc6-89e9288f24a3')
    def test_signed_url_of_dotted_name_refused_on_lookalikes(self):
        dotted, _ = self.other_victim(resources.queue_name() + '.a')
        lookalikes = [self.other_victim(dotted.queue[:-2] + sep + 'a')
                      for sep in ('-', '_', 'x')]
        signed = self.share(queue=dotted.queue)
        listed = {other.queue: self.list_free(signed, queue=other.queue)
                  for other, _ in lookalikes}
        self.assertIsNotNone(self.list_free(signed, queue=dotted.queue))
        for other, other_before in lookalikes:
            self.assert_intact(other, other_before)
        defects.expect(self, 'signed-url-regex', listed,
                       correct=dict.fromkeys(listed),
                       symptom={other.queue: other_before.free
                                for other, other_before in lookalikes})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('587d29b5-6f48-46e0-8d8f-048db79cf72d')
    def test_signed_url_refused_in_another_project(self):
        resources.create_queue(self.alt, self.addCleanup, self.victim.queue)
        alt_ids = resources.post(self.alt, self.victim.queue, ['alt'])
        listed = self.list_free(self.share(), overrides={
            'X-Project-ID': self.alt.project_id})
        alt_left = self.alt.messages.show_messages(self.victim.queue,
                                                   alt_ids)['messages']
        self.assert_intact()
        self.assertIsNone(listed)
        self.assertEqual(alt_ids, [m['id'] for m in alt_left])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('a63b03b1-6efc-4a79-b6ae-be94996d958f')
    def test_another_project_signed_url_refused_on_victim(self):
        resources.create_queue(self.alt, self.addCleanup, self.victim.queue)
        alt_signed = self.alt.shares.create_signed_url(
            self.victim.queue, paths=['messages'], methods=['GET', 'DELETE'])
        listed = self.list_free(alt_signed, overrides={
            'X-Project-ID': self.primary.project_id})
        self.assertIsNone(listed)
        self.assertRaises(
            exceptions.NotFound,
            self.signed(messaging.MessagesClient, alt_signed, {
                'X-Project-ID': self.primary.project_id}).delete_message,
            self.victim.queue, self.victim.message_ids[-1])
        self.assert_intact()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('329fe14e-8215-4c9c-a7f8-f15581e975b2')
    def test_signed_url_refused_for_unsigned_methods(self):
        client = self.signed(messaging.MessagesClient, self.share())
        self.assertRaises(exceptions.NotFound, client.post_messages,
                          self.victim.queue, [{'body': 'forged', 'ttl': 60}])
        self.assertRaises(exceptions.NotFound, client.delete_message,
                          self.victim.queue, self.victim.message_ids[-1])
        self.assertRaises(exceptions.NotFound, client.delete_messages,
                          self.victim.queue, self.victim.message_ids)
        self.assert_intact()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('718f9b41-77ce-4a47-ba35-40bd2b7d03e3')
    def test_signed_url_refused_for_unsigned_paths(self):
        signed = self.share(methods=('GET', 'POST', 'DELETE', 'PUT',
                                     'PATCH'))
        queue = self.victim.queue
        attempts = {
            'claim': (messaging.ClaimsClient, 'claim_messages', (queue,)),
            'show claim': (messaging.ClaimsClient, 'show_claim',
                           (queue, self.victim.claim_id)),
            'subscriptions': (messaging.SubscriptionsClient,
                              'list_subscriptions', (queue,)),
            'queue': (messaging.QueuesClient, 'show_queue', (queue,)),
            'stats': (messaging.QueuesClient, 'show_queue_stats', (queue,)),
            'queues': (messaging.QueuesClient, 'list_queues', ()),
            'purge': (messaging.QueuesClient, 'purge_queue', (queue,)),
            'delete queue': (messaging.QueuesClient, 'delete_queue',
                             (queue,)),
            'share': (messaging.SharesClient, 'create_signed_url', (queue,)),
        }
        outcomes = {}
        for label, (client_class, method, args) in attempts.items():
            try:
                getattr(self.signed(client_class, signed), method)(*args)
                outcomes[label] = 'granted'
            except exceptions.NotFound:
                outcomes[label] = 'refused'
        self.assert_intact()
        self.assertEqual(dict.fromkeys(attempts, 'refused'), outcomes)

    @decorators.idempotent_id('a36c464a-ee62-47c0-a33c-a306f87ffcc9')
    def test_signed_url_grants_exactly_its_paths(self):
        signed = self.share(paths=('claims',), methods=('POST',))
        claimed = self.signed(messaging.ClaimsClient, signed).claim_messages(
            self.victim.queue, ttl=60, limit=1)
        self.assertEqual(1, len(claimed['messages']))
        self.assertIsNone(self.list_free(signed))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('4281655b-8e26-4199-a4a8-d104994e172e')
    def test_signed_url_refused_after_expiry(self):
        signed = self.share(expires=expires_in(3))
        self.assertEqual(self.before.free, self.list_free(signed))
        waiters.wait_until(lambda: self.list_free(signed) is None,
                           timeout=30, interval=0.5,
                           what='refusal of an expired signature')
        self.assert_intact()

    def check_tampered(self, overrides):
        signed = self.share()
        self.assertIsNotNone(self.list_free(signed))
        listed = self.list_free(signed, overrides=overrides(signed))
        self.assert_intact()
        self.assertIsNone(listed)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('3cb75f1f-5116-4067-80e1-ea1d867856f4')
    def test_tampered_signature_refused(self):
        self.check_tampered(lambda signed: {
            'URL-Signature': signed['signature'][:-1] + (
                '0' if signed['signature'][-1] != '0' else '1')})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('4b7bda24-6b95-4d85-b4bb-3922e7960403')
    def test_tampered_expiry_refused(self):
        self.check_tampered(lambda signed: {'URL-Expires': expires_in(
            7 * 86400)})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('0832fe69-61db-446f-ba27-601fc367d90e')
    def test_tampered_methods_refused(self):
        self.check_tampered(lambda signed: {'URL-Methods': 'DELETE,GET'})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('999fbe90-21d0-409e-86d0-26e77145dacb')
    def test_tampered_paths_refused(self):
        self.check_tampered(lambda signed: {'URL-Paths': ','.join(
            signed['paths'] + [signed['paths'][0].replace('messages',
                                                          'claims')])})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('3a9b08c6-cec5-454f-8a37-fa215002a4f9')
    def test_signature_without_its_fields_refused(self):
        self.check_tampered(lambda signed: {'URL-Expires': None,
                                            'URL-Paths': None})
