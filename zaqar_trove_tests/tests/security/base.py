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


"""The deployment hostile guests attack (ISO-5), as Trove would run it.

The control plane works in the primary project with keystone credentials:
it calls its guests (as Trove's taskmanager does) and serves a conductor
topic (as trove-conductor does). Guests g1 (the victim) and g2 (the
attacker) hold nothing but the pre-signed URLs the control plane minted
for their own queues and a POST grant on the conductor topic
(``rpc_guests.signed_guest_url``); g1 serves its topic with the
``zaqar://`` driver. g2 is a guest whose agent is compromised: it reads
its own queue raw and writes raw Zaqar requests with what it holds -- its
grants, and the reply queue, reply grant and reply key of each call it
receives (``received_call``).

Every contract class runs twice (``...PushTest``, ``...PollTest``): the
control plane's driver on push and on polling delivery; guests holding
only signed URLs always poll. After every attack the victim must still be
served (``assert_victim_served``).
"""

import time

import fixtures
import oslo_messaging as om
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common.faults import hostile
from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.rpc import base as rpc_base

CONF = config.CONF

CALL_TIMEOUT = rpc_base.CALL_TIMEOUT
WRONG_WINDOW = rpc_base.WRONG_WINDOW
#: TTL (s) of what the attacker posts.
TTL = 60
#: Nesting Zaqar still stores (its redis store packs bodies with msgpack,
#: which refuses more than 511 levels).
DEPTH = 400
#: What Zaqar answers a pre-signed URL it does not honour.
REFUSED = (lib_exc.NotFound, lib_exc.Forbidden, lib_exc.Unauthorized)


class DeliveryTest(rpc_base.GuestsTest):
    """A contract run once per delivery mode (``delivery``)."""

    credentials = ['primary']
    #: The driver's delivery: push or poll.
    delivery = None

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if cls.delivery is None:
            raise cls.skipException('abstract: no delivery mode')
        if (cls.delivery == 'push' and
                not CONF.zaqar_trove_feature_enabled.push):
            raise cls.skipException('Zaqar push is not enabled')

    def primary_url(self):
        """The zaqar:// URL as the primary project, on ``delivery``."""
        return rpc_urls.for_credentials(
            self.transport_url(), self.os_primary.credentials,
            delivery=self.delivery)


class HostileGuestTest(rpc_base.SignedUrlsMixin, DeliveryTest):
    """The control plane, victim g1 and attacker g2 (see the module)."""

    def setUp(self):
        super().setUp()
        self.url = self.primary_url()
        self.zaqar = clients.ZaqarClients(self.os_primary)
        self.control = self.transport(self.url)
        self.conductor_topic = self.topic('conductor')
        self.conductor = rpc_endpoints.Recorder('conductor')
        self.server(self.control, om.Target(topic=self.conductor_topic,
                                            server='conductor'),
                    self.conductor)
        self.victim_target = om.Target(topic=self.topic('guestagent'),
                                       server='g1')
        self.thief_target = om.Target(topic=self.topic('guestagent'),
                                      server='g2')
        directory = self.useFixture(fixtures.TempDir()).path
        sends = [(None, self.conductor_topic)]
        victim_url, _ = rpc_guests.signed_guest_url(
            self.control, self.url, self.victim_target, directory, sends)
        self.victim = rpc_endpoints.Recorder('g1')
        self.victim_transport = self.transport(victim_url)
        self.server(self.victim_transport, self.victim_target, self.victim)
        _, thief_grants = rpc_guests.signed_guest_url(
            self.control, self.url, self.thief_target, directory, sends)
        self.thief_grants = thief_grants
        self.victim_client = self.client(
            self.control, self.victim_target.topic, timeout=CALL_TIMEOUT)
        self.thief_queue = rpc_guests.server_queues(
            self.control, self.thief_target)['pop']
        self.conductor_queue = rpc_guests.server_queues(
            self.control, om.Target(topic=self.conductor_topic))['claim']

    # -- what the attacker holds ----------------------------------------

    def thief_clients(self, grant):
        """Raw Zaqar clients speaking with one grant g2 holds."""
        return rpc_guests.grant_clients(self.zaqar, grant)

    def thief_grant(self, queue, method):
        """g2's grant for ``method`` on ``queue``'s messages."""
        return next(g for g in self.thief_grants
                    if method in g['methods'] and
                    any(p.endswith('/%s/messages' % queue)
                        for p in g['paths']))

    def received_call(self, timeout=CALL_TIMEOUT, control=None, **kwargs):
        """The control plane calls g2; g2 pops the request raw.

        :param control: the control plane's transport (default
            ``self.control``).
        :param kwargs: RPC client options (``call_monitor_timeout``).
        :returns: ``(future of the call, the call envelope)``.
        """
        client = self.client(control or self.control,
                             self.thief_target.topic, timeout=timeout,
                             **kwargs)
        value = data_utils.rand_name('for-g2')
        future = self.pool.submit(client.prepare(server='g2').call, {},
                                  'echo', value=value)
        pop = self.thief_clients(self.thief_grant(self.thief_queue,
                                                  'DELETE'))
        return future, rpc_guests.pop_call(pop, self.thief_queue,
                                           CALL_TIMEOUT)

    def post_as_thief(self, queue, grant, bodies):
        """Post ``bodies`` with ``grant``, in batches Zaqar must take."""
        messages = self.thief_clients(grant).messages
        for batch in hostile.batches(bodies):
            messages.post_messages(queue, [{'body': b, 'ttl': TTL}
                                           for b in batch])

    def wait_refused(self, call, expires):
        """Wait until ``call``'s reply grant is refused (it expired)."""
        messages = self.thief_clients(call['rg']).messages

        def refused():
            try:
                messages.post_messages(call['rq'], [
                    {'body': {'late': True}, 'ttl': TTL}])
            except REFUSED:
                return True
        waiters.wait_until(refused, max(0, expires - time.time()) + 30,
                           interval=1, what='the reply grant refused')

    # -- the victim -----------------------------------------------------

    def held_victim_call(self):
        """A call g1 is executing until released: ``(future, value)``."""
        return self.holding_call(self.victim_client, self.victim)

    def in_flight(self):
        """The msg_ids of the control plane's calls in flight.

        The observer's view (the driver's own state): the best case for
        an attacker, as if every msg_id leaked.
        """
        return list(rpc_guests.driver(self.control)._waiter._calls)

    def assert_victim_served(self):
        """g1 answers calls and gets casts; the conductor gets g1's."""
        self.assert_served(self.victim_client, self.victim)
        value = data_utils.rand_name('victim')
        conductor = self.client(self.victim_transport, self.conductor_topic)
        conductor.cast({}, 'note', value=value)
        waiters.wait_until(lambda: value in self.conductor.values('note'),
                           CALL_TIMEOUT, what="the victim's cast delivered")
