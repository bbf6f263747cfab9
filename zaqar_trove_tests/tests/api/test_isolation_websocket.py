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


"""ISO-2 and ISO-3 over Zaqar's websocket API.

A websocket connection carries identity two ways: an ``authenticate``
action with a keystone token (then every request must name that project),
or pre-signed URL headers on each request. Every test aims at the
primary project's victim queue and asserts the refusal and that the
victim is unchanged; positive controls show what does work.
"""

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions
from testtools import matchers

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.common import identity
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.services import auth
from zaqar_trove_tests.tests.api import base

CONF = config.CONF


def victim_actions(victim):
    """(label, action, body) of every websocket request tried."""
    queue = victim.queue
    return [
        ('queue_list', 'queue_list', {}),
        ('queue_get_stats', 'queue_get_stats', {'queue_name': queue}),
        ('message_list', 'message_list', {'queue_name': queue}),
        ('message_get', 'message_get', {
            'queue_name': queue, 'message_id': victim.message_ids[-1]}),
        ('claim_create', 'claim_create', {'queue_name': queue}),
        ('claim_get', 'claim_get', {
            'queue_name': queue, 'claim_id': victim.claim_id}),
        ('message_delete', 'message_delete', {
            'queue_name': queue, 'message_id': victim.message_ids[-1]}),
        ('queue_delete', 'queue_delete', {'queue_name': queue}),
        ('message_post', 'message_post', {
            'queue_name': queue,
            'messages': [{'body': 'forged', 'ttl': 60}]}),
    ]


class WebsocketTestBase(base.TwoProjectsTest):
    """What the websocket tests share; holds no test."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.websocket:
            raise cls.skipException('The websocket API is not deployed')

    def setUp(self):
        super().setUp()
        self.victim = resources.victim(self.primary, self.addCleanup)
        self.before = resources.observe_victim(self.primary, self.victim)

    def connect(self, clients, **kwargs):
        connection = clients.websocket(**kwargs)
        self.addCleanup(connection.close)
        return connection

    def statuses(self, connection, headers=None):
        """label -> response status of every victim action."""
        return {label: connection.send(action, body, headers).get(
                    'headers', {}).get('status')
                for label, action, body in victim_actions(self.victim)}

    def assert_intact(self, victim=None, before=None):
        resources.assert_intact(self, self.primary, victim or self.victim,
                                before or self.before)

    def victim_state(self):
        """The victim as its owner sees it; unreadable parts as statuses."""
        return resources.victim_after(self.primary, self.victim)

    def check_all_refused(self, connection, status=403, headers=None):
        statuses = self.statuses(connection, headers)
        self.assert_intact()
        self.assertEqual({label: status for label in statuses}, statuses)


class WebsocketTokenTest(WebsocketTestBase):
    """Keystone identities over the websocket (ISO-2)."""

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('5acba073-791d-4a03-993c-4eb991aee0d8')
    def test_unauthenticated_connection_is_refused(self):
        self.check_all_refused(self.connect(
            self.primary, authenticated=False,
            project_id=self.primary.project_id))

    def check_authenticate_refused(self, token):
        connection = self.connect(self.primary, authenticated=False,
                                  project_id=self.primary.project_id)
        self.assertRaises(exceptions.Unauthorized, connection.authenticate,
                          token, self.primary.project_id)
        self.check_all_refused(connection)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('a47cb940-7443-48b5-bbcc-4b30b75dd147')
    def test_malformed_token_authenticate_is_refused(self):
        self.check_authenticate_refused('not-a-token')

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('27ecdfaa-a5d1-4574-9435-23e81b38ee77')
    def test_revoked_token_authenticate_is_refused(self):
        self.check_authenticate_refused(
            identity.revoked_token(self.os_primary))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('b4435634-e15a-45a9-a118-c884e6f33998')
    def test_expired_token_authenticate_is_refused(self):
        self.check_authenticate_refused(
            identity.expired_token(self.os_primary, self.addCleanup))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('4b23ffe0-9a20-443c-81ca-2dd8034a1afc')
    def test_alt_session_cannot_name_primary_project(self):
        connection = self.connect(self.alt)
        self.check_all_refused(connection, headers={
            'X-Project-ID': self.primary.project_id})

    @decorators.idempotent_id('115f40a0-8f30-4e97-a1a0-369dc740f4ce')
    def test_alt_session_same_queue_name_is_its_own(self):
        connection = self.connect(self.alt)
        self.addCleanup(connection.send, 'queue_delete',
                        {'queue_name': self.victim.queue})
        unknown = connection.send('message_list', {
            'queue_name': self.victim.queue})['headers']['status']
        claimed = connection.claim_create(self.victim.queue, limit=10)
        connection.message_post(self.victim.queue,
                                [{'body': 'alt', 'ttl': 60}])
        alt_listed = connection.message_list(self.victim.queue, echo=True)
        self.assert_intact()
        self.assertEqual(404, unknown)
        self.assertEqual([], claimed.get('messages', []))
        self.assertEqual(['alt'], [m['body'] for m in alt_listed['messages']])

    @decorators.idempotent_id('8ed8922d-136b-4c19-b9d5-6d7e3279a176')
    def test_primary_session_reaches_its_queue(self):
        connection = self.connect(self.primary)
        listed = connection.message_list(self.victim.queue, echo=True)
        self.assert_intact()
        self.assertEqual(self.before.free,
                         sorted(m['id'] for m in listed['messages']))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('a2bb3708-f4a2-4efb-a350-e5950bbdfa40')
    def test_session_ends_when_its_token_is_revoked(self):
        token = identity.fresh_token(self.os_primary)
        connection = self.connect(self.primary, authenticated=False)
        connection.authenticate(token, self.primary.project_id)
        self.assertEqual(200, connection.send(
            'queue_list', {})['headers']['status'])
        self.os_primary.identity_v3_client.delete_token(token)
        self.assertFalse(identity.is_valid(self.os_primary, token))
        answer = self.answer_after_revocation(connection)
        self.assert_intact()
        defects.expect(self, 'websocket-revocation', answer,
                       correct=matchers.MatchesAny(*map(matchers.Equals, (
                           'closed', 401, 403))),
                       symptom=200)

    def answer_after_revocation(self, connection, timeout=5):
        """'closed', or the status of a message_list in the victim queue.

        The first refusal within ``timeout`` seconds, else the last status.
        """
        answers = []

        def refused():
            answers.append('closed' if connection.closed else connection.send(
                'message_list', {'queue_name': self.victim.queue},
            )['headers']['status'])
            return answers[-1] != 200

        try:
            waiters.wait_until(refused, timeout=timeout, interval=0.5,
                               what='refusal after revocation')
        except exceptions.TimeoutException:
            pass
        return answers[-1]


class WebsocketSignedUrlTest(WebsocketTestBase):
    """Pre-signed URLs over the websocket (ISO-3)."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.signed_urls:
            raise cls.skipException('Pre-signed URLs are not enabled')

    def signed_connection(self, paths=('messages',), methods=('GET',),
                          queue=None, overrides=None):
        signed = self.primary.shares.create_signed_url(
            queue or self.victim.queue, paths=list(paths),
            methods=list(methods))
        return self.connect(
            self.primary, authenticated=False,
            project_id=self.primary.project_id,
            headers=auth.signed_url_headers(signed, overrides,
                                            for_websocket=True))

    def listed(self, connection, queue):
        """Ids listed in ``queue``; the status when refused."""
        frame = connection.send('message_list', {'queue_name': queue,
                                                 'echo': True})
        if frame['headers']['status'] != 200:
            return frame['headers']['status']
        return sorted(m['id'] for m in frame['body']['messages'])

    @decorators.idempotent_id('f34349b9-9994-4bbc-8620-2a3ad52a534d')
    def test_signed_connection_lists_its_queue(self):
        listed = self.listed(self.signed_connection(), self.victim.queue)
        self.assert_intact()
        self.assertEqual(self.before.free, listed)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('b1fcf22c-01d0-42a5-bbad-952526619823')
    def test_signed_connection_refused_for_unsigned_methods(self):
        connection = self.signed_connection()
        statuses = {action: connection.send(action, body)['headers']['status']
                    for action, body in (
                        ('message_post', {'queue_name': self.victim.queue,
                                          'messages': [{'body': 'forged'}]}),
                        ('message_delete', {
                            'queue_name': self.victim.queue,
                            'message_id': self.victim.message_ids[-1]}))}
        self.assert_intact()
        self.assertEqual({'message_post': 403, 'message_delete': 403},
                         statuses)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('f65fca90-fc68-45f5-96e0-61f21cb6498f')
    def test_signed_connection_refused_for_queue_actions(self):
        connection = self.signed_connection(methods=('GET', 'DELETE'))
        statuses = {action: connection.send(action, body)['headers']['status']
                    for action, body in (
                        ('queue_list', {}),
                        ('queue_get_stats', {'queue_name': self.victim.queue}),
                        ('queue_delete', {'queue_name': self.victim.queue}),
                        ('claim_get', {'queue_name': self.victim.queue,
                                       'claim_id': self.victim.claim_id}))}
        self.assert_intact()
        self.assertEqual(dict.fromkeys(statuses, 403), statuses)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('c5b709d9-7e83-4cd7-be53-1a8bf49a1794')
    def test_signed_connection_refused_in_another_project(self):
        resources.create_queue(self.alt, self.addCleanup, self.victim.queue)
        resources.post(self.alt, self.victim.queue, ['alt'])
        connection = self.signed_connection(
            overrides={'X-Project-ID': self.alt.project_id})
        listed = self.listed(connection, self.victim.queue)
        self.assert_intact()
        self.assertEqual(403, listed)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('354435ed-f573-4df5-bd66-65db7ebe0030')
    def test_tampered_signature_refused_over_websocket(self):
        connection = self.signed_connection(overrides={
            'URL-Signature': '0' * 64})
        self.check_all_refused(connection)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('616f1fe9-b7b1-4d75-93d4-e3cd22e99dee')
    def test_tampered_methods_refused_over_websocket(self):
        connection = self.signed_connection(overrides={
            'URL-Methods': ['DELETE', 'GET', 'POST']})
        self.check_all_refused(connection)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('28cd904c-264c-4bc9-8bd6-29eae497f76f')
    def test_signed_connection_refused_on_another_queue(self):
        other = resources.victim(self.primary, self.addCleanup)
        other_before = resources.observe_victim(self.primary, other)
        listed = self.listed(self.signed_connection(), other.queue)
        self.assert_intact(other, other_before)
        defects.expect(self, 'websocket-signed-url-scope', listed,
                       correct=403, symptom=other_before.free)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('3ff5bbd4-f682-4fb3-adb5-876e5f650527')
    def test_signed_connection_refused_for_unsigned_paths(self):
        # Signed for claims only: listing or deleting messages is another
        # path, whatever the methods allow.
        connection = self.signed_connection(paths=('claims',),
                                            methods=('GET', 'DELETE'))
        deleted = self.victim.message_ids[-1]
        statuses = {
            'message_list': self.listed(connection, self.victim.queue),
            'message_delete': connection.send('message_delete', {
                'queue_name': self.victim.queue, 'message_id': deleted},
            )['headers']['status']}
        # The victim is checked with the statuses: the known defect
        # deletes its message.
        defects.expect(
            self, 'websocket-signed-url-scope',
            (statuses, self.victim_state()),
            correct=({'message_list': 403, 'message_delete': 403},
                     self.before),
            symptom=({'message_list': self.before.free,
                      'message_delete': 204},
                     resources.without_messages(self.before, [deleted])))
