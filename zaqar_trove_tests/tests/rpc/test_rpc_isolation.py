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


"""ISO-4: guests cannot take each other's requests, read or forge replies.

Two kinds of guest, on Zaqar only (RabbitMQ has one shared vhost
identity: there is no isolation to compare with):

- ``GuestProjectsTest``: guest A (victim) and its caller work in the
  primary project; guest B (attacker) has the alt project's credentials,
  with the same driver or raw Zaqar requests.
- ``SignedGuestsTest``: the control plane works in the primary project and
  mints pre-signed URLs for the queues of guest g1 (victim) and guest g2
  (attacker); g2 holds nothing else, and attacks with raw requests
  carrying its grants, or the reply grant its own calls bring it.

Each test asserts the refusal and then that the victim's calls (to its
topic and to it by name) and casts still complete, with its answers.
"""

import uuid

import oslo_messaging as om
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common import identity
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.rpc import base

CONF = config.CONF

CALL_TIMEOUT = base.CALL_TIMEOUT


class IsolationTest(base.GuestsTest):

    def assert_gets_nothing(self, endpoint):
        harness.never(lambda: endpoint.record.values(), base.WRONG_WINDOW,
                      'the attacker received a request')


class GuestProjectsTest(IsolationTest):
    """Guest A in the primary project, guest B in the alt project."""

    credentials = ['primary', 'alt']

    def setUp(self):
        super().setUp()
        url = self.transport_url()
        self.url_a = rpc_urls.for_credentials(url,
                                              self.os_primary.credentials)
        self.url_b = rpc_urls.for_credentials(url, self.os_alt.credentials)
        self.zaqar_a = clients.ZaqarClients(self.os_primary)
        self.zaqar_b = clients.ZaqarClients(self.os_alt)
        self.target = om.Target(topic=self.topic('guestagent'),
                                server='guest-a')
        self.guest_a = rpc_endpoints.Recorder('guest-a')
        self.guest_transport = self.transport(self.url_a)
        self.server_a = self.server(self.guest_transport, self.target,
                                    self.guest_a)
        self.caller = self.transport(self.url_a)
        self.caller_client = self.client(self.caller, self.target.topic,
                                         timeout=CALL_TIMEOUT)

    def reply_queue(self):
        """The caller's reply queue, as the victim's project lists it."""
        before = set(resources.list_queue_names(self.zaqar_a))
        self.assert_served(self.caller_client, self.guest_a)
        new = [q for q in set(resources.list_queue_names(self.zaqar_a)) -
               before if rpc_guests.queue_kind(q) == 'r']
        self.assertEqual(1, len(new), new)
        return new[0]

    def b_reads(self, queue):
        """What guest B gets reading ``queue`` every way it can."""
        got = self.zaqar_b.messages.pop_messages(queue, 10)['messages']
        got += self.zaqar_b.messages.list_messages(
            queue, echo=True).get('messages', [])
        got += resources.claim(self.zaqar_b, queue, limit=10)[1]
        return got

    @decorators.idempotent_id('2f2938d9-42ac-4ec5-b79d-a04d8b3b4da9')
    def test_other_project_server_gets_no_request(self):
        intruder = rpc_endpoints.Recorder('guest-b')
        self.server(self.transport(self.url_b), self.target, intruder)
        for _ in range(3):
            self.assert_served(self.caller_client, self.guest_a)
        self.caller_client.prepare(fanout=True).cast({}, 'note',
                                                     value='fanout')
        waiters.wait_until(lambda: 'fanout' in self.guest_a.values('note'),
                           CALL_TIMEOUT, what='the fanout cast on guest A')
        self.assert_gets_nothing(intruder)

    @decorators.idempotent_id('c2ac8065-f914-42f0-b010-36af6ff5470d')
    def test_other_project_token_with_victim_project_id(self):
        """B's token naming A's project: refused or kept in B's project.

        (Zaqar answers such HTTP requests in the token's project and
        refuses the websocket subscriptions; see ISO-2.)
        """
        token = identity.fresh_token(self.os_alt)
        url = rpc_urls.derive(
            self.url_b, '', auth='token', token=token,
            project_id=self.os_primary.credentials.project_id,
            auth_url=None, user_domain_name=None)
        intruder = rpc_endpoints.Recorder('guest-b')
        server = harness.Server(self.transport(url), self.target, [intruder])
        try:
            self.useFixture(server)
        except Exception as exc:  # Refused at start: fine too.
            self.assertIn('MessageDeliveryFailure', repr(exc))
        self.assert_served(self.caller_client, self.guest_a)
        self.assert_served(self.caller_client, self.guest_a)
        self.assert_gets_nothing(intruder)

    @decorators.idempotent_id('d1e228e7-775c-49df-bf07-c2ec502e5e33')
    def test_other_project_cannot_read_the_reply_queue(self):
        queue = self.reply_queue()
        future, value = self.holding_call(self.caller_client, self.guest_a)
        stolen = self.b_reads(queue)
        self.guest_a.release()

        def attack_until_answered():
            stolen.extend(self.b_reads(queue))
            return future.done()

        waiters.wait_until(attack_until_answered, CALL_TIMEOUT,
                           interval=0.05, what='the held call answered')
        self.assertEqual([], stolen)
        self.assertEqual({'server': 'guest-a', 'value': value},
                         future.result())
        self.assert_served(self.caller_client, self.guest_a)

    @decorators.idempotent_id('7b5a05fe-0050-483b-97fb-622d18eaf774')
    def test_other_project_cannot_forge_a_reply(self):
        queue = self.reply_queue()
        own_queue = rpc_guests.server_queues(self.caller, self.target)['pop']
        self.server_a.stop()
        value = data_utils.rand_name('pending')
        future = self.pool.submit(
            self.caller_client.prepare(server='guest-a').call, {}, 'echo',
            value=value)

        def pending_call():
            # The observer (the victim's own credentials) reads the msg_id
            # the attacker would need: the best case for the attacker.
            listed = self.zaqar_a.messages.list_messages(own_queue)
            calls = [rpc_guests.call_of(m) for m in listed['messages']]
            return [c for c in calls if c['msg']['args']['value'] == value]

        call = waiters.wait_until(pending_call, CALL_TIMEOUT,
                                  what='the pending call queued')[0]
        self.assertEqual(queue, call['rq'])
        forged = {'server': 'guest-b', 'value': value}
        self.zaqar_b.messages.post_messages(queue, [
            {'body': rpc_guests.forged_reply(call['mid'], forged,
                                             call['rk']),
             'ttl': 60}])
        harness.never(future.done, base.WRONG_WINDOW,
                      'the call ended before guest A was back')
        self.server(self.guest_transport, self.target, self.guest_a)
        self.assertEqual({'server': 'guest-a', 'value': value},
                         future.result())
        self.assert_served(self.caller_client, self.guest_a)


class SignedGuestsTest(IsolationTest, base.SignedControlTest):
    """Guests g1 (victim) and g2 (attacker) hold only signed URLs."""

    def setUp(self):
        super().setUp()
        url, directory = self.control_url, self.grants_dir
        self.victim_target = om.Target(topic=self.topic('guestagent'),
                                       server='g1')
        self.thief_target = om.Target(topic=self.topic('guestagent'),
                                      server='g2')
        victim_url, _ = rpc_guests.signed_guest_url(
            self.control, url, self.victim_target, directory)
        self.thief_url, thief_grants = rpc_guests.signed_guest_url(
            self.control, url, self.thief_target, directory)
        self.thief = [rpc_guests.grant_clients(self.zaqar, grant)
                      for grant in thief_grants]
        self.victim = rpc_endpoints.Recorder('g1')
        self.server(self.transport(victim_url), self.victim_target,
                    self.victim)
        self.caller_client = self.client(
            self.control, self.victim_target.topic, timeout=CALL_TIMEOUT)
        self.victim_queues = rpc_guests.server_queues(self.control,
                                                      self.victim_target)
        self.thief_queue = rpc_guests.server_queues(
            self.control, self.thief_target)['pop']

    def received_call(self):
        """Make the control plane call g2; what g2 pops off its queue.

        :returns: ``(future of the call, call envelope)``.
        """
        client = self.client(self.control, self.thief_target.topic,
                             timeout=CALL_TIMEOUT)
        future = self.pool.submit(client.prepare(server='g2').call, {},
                                  'echo', value='for g2')
        pop = next(c for c in self.thief
                   if 'DELETE' in c.messages.auth_provider.headers[
                       'URL-Methods'])
        return future, rpc_guests.pop_call(pop, self.thief_queue,
                                           CALL_TIMEOUT)

    @decorators.idempotent_id('d36601d9-00ba-46c7-a223-e2df72381e48')
    def test_signed_guest_cannot_take_another_guests_requests(self):
        intruder = om.get_rpc_server(
            self.transport(self.thief_url), self.victim_target,
            [rpc_endpoints.Recorder('g2')], executor='threading')
        self.assertRaises(om.MessageDeliveryFailure, intruder.start)
        for grant_clients in self.thief:
            for queue in self.victim_queues.values():
                self.assert_no_access(grant_clients, queue)
        self.assert_served(self.caller_client, self.victim)
        self.assertEqual([], self.victim.values('fail'))

    @decorators.idempotent_id('c7a1580e-4839-4a6e-b905-cabb4b779f5f')
    def test_reply_grant_cannot_read_the_reply_queue(self):
        self.assert_served(self.caller_client, self.victim)
        future, call = self.received_call()
        reply_grant = rpc_guests.grant_clients(self.zaqar, call['rg'])
        self.assertEqual(['POST'], call['rg']['methods'])
        self.assert_refused(reply_grant.messages.list_messages, call['rq'])
        self.assert_refused(reply_grant.messages.pop_messages, call['rq'],
                            10)
        self.assert_refused(reply_grant.claims.claim_messages, call['rq'],
                            ttl=60, grace=60, limit=10)
        self.assert_refused(reply_grant.queues.show_queue_stats, call['rq'])
        for grant_clients in self.thief:
            self.assert_no_access(grant_clients, call['rq'])
        # What the grant is for: g2 answers the call it received.
        self.answer_with_grant(call, 'answer of g2')
        self.assertEqual('answer of g2', future.result())
        self.assert_served(self.caller_client, self.victim)

    @decorators.idempotent_id('17672d75-4a95-4e1e-b198-c36c2765d1f4')
    def test_signed_guest_cannot_forge_replies(self):
        own_future, own_call = self.received_call()
        self.answer_with_grant(own_call, 'answer of g2')
        self.assertEqual('answer of g2', own_future.result())
        future, value = self.holding_call(self.caller_client, self.victim)
        forged = {'server': 'g1', 'value': 'forged by g2'}
        guesses = [uuid.uuid4().hex for _ in range(5)]
        for msg_id in guesses + [own_call['mid']]:
            self.answer_with_grant(own_call, forged, msg_id)
        harness.never(future.done, base.WRONG_WINDOW,
                      'the held call ended before g1 answered')
        self.victim.release()
        self.assertEqual({'server': 'g1', 'value': value}, future.result())
        self.assert_served(self.caller_client, self.victim)
