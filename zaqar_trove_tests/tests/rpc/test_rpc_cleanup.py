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


"""RPC-10: what a transport leaves behind, and names Zaqar cannot hold.

- Long and unicode topics and server names (beyond Zaqar's 64-character
  queue names) route apart: two topics that differ only in their last
  characters reach their own servers (both transports).
- On Zaqar, in a project of its own so the queue listing is exact:
  ``cleanup()`` and the servers' ``stop()`` leave none of the queues of
  that transport and those servers (the reply queue, the servers' own
  queues); what stays are the queues the driver documents as shared by
  all servers of a topic (topic and fanout), as RabbitMQ keeps topic
  queues. Every queue name is a valid one, and the long names map to
  distinct queues.

No RabbitMQ variant of the cleanup test: RabbitMQ keeps a server's
``topic.server`` queue after it stops (not auto-delete; it expires after
``rabbit_transient_queues_ttl``) and names reply and fanout queues with
private random ids, so there is no like-for-like observation to make
without reaching into the driver.
"""

import re

import oslo_messaging as om
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.rpc import base

#: Makes the topics longer than any Zaqar queue name.
LONG_TAIL = '.' + 'ü' * 10 + 'guestagent-' * 8
VALID_NAME = re.compile(r'^[a-z0-9_-]{1,64}$')


class LongNamesContract(base.RpcTest):

    def _check_long_names(self, url=None):
        """Two long topics sharing all but their end route apart.

        :returns: the two topics and their servers' names.
        """
        transport = self.transport(url)
        common = self.topic('long') + LONG_TAIL
        topics = [common + '.one', common + '.two']
        servers = [data_utils.rand_name('srv-ẞ-' + 'x' * 30)
                   for _ in topics]
        endpoints = []
        for topic, server in zip(topics, servers):
            endpoints.append(self.server(
                transport, om.Target(topic=topic, server=server),
                rpc_endpoints.Recorder(server)).endpoints[0])
        for topic, server, endpoint in zip(topics, servers, endpoints):
            client = self.client(transport, topic, timeout=30)
            self.assertEqual(server, client.call(
                {}, 'echo', value=topic)['server'])
            self.assertEqual(server, client.prepare(server=server).call(
                {}, 'echo', value=server)['server'])
            client.prepare(fanout=True).cast({}, 'note', value=topic)
            waiters.wait_until(lambda: endpoint.values('note'), 30,
                               what='a fanout cast on %s' % server)
        for topic, server, endpoint in zip(topics, servers, endpoints):
            self.assertEqual([topic, server], endpoint.values('echo'))
            self.assertEqual([topic], endpoint.values('note'))
        return topics, servers


class CleanupZaqarTest(base.ZaqarMixin, LongNamesContract):
    """RPC-10 on Zaqar, in the primary project (nobody else's queues)."""

    credentials = ['primary']

    def setUp(self):
        super().setUp()
        self.url = rpc_urls.for_credentials(self.transport_url(),
                                            self.os_primary.credentials)
        self.zaqar = clients.ZaqarClients(self.os_primary)

    def queues(self):
        return set(resources.list_queue_names(self.zaqar))

    @decorators.idempotent_id('68a296c4-75ec-4475-b21e-7ed02afee02c')
    def test_cleanup_leaves_no_queue_of_its_own(self):
        before = self.queues()
        topic = self.topic('cleanup')
        transport_fixture = self.useFixture(harness.Transport(self.url))
        transport = transport_fixture.transport
        servers = [self.server(transport, om.Target(topic=topic, server=s),
                               rpc_endpoints.Recorder(s))
                   for s in ('s1', 's2')]
        client = self.client(transport, topic, timeout=30)
        client.call({}, 'echo', value='topic')
        client.prepare(server='s2').call({}, 'echo', value='server')
        client.prepare(fanout=True).cast({}, 'note', value='fanout')
        used = self.queues() - before
        kind = rpc_guests.queue_kind
        own = {q for q in used if kind(q) in ('r', 's')}
        # The listing sees this transport's reply queue and both servers'
        # queues: otherwise their absence below would prove nothing.
        self.assertEqual(['r', 's', 's'], sorted(kind(q) for q in own),
                         used)
        for server in servers:
            server.stop()
        transport_fixture.close()
        left = self.queues() - before
        self.assertEqual(set(), left & own)
        self.assertEqual(set(), {q for q in left
                                 if kind(q) not in ('t', 'f')}, left)

    @decorators.idempotent_id('b385510c-63f3-4330-a4d6-20ad67afb4fa')
    def test_long_names_map_to_valid_distinct_queues(self):
        before = self.queues()
        self._check_long_names(self.url)
        used = self.queues() - before
        self.assertEqual(set(), {q for q in used if not VALID_NAME.match(q)})
        # Two topics x (topic, fanout) + two servers, all distinct, and
        # the reply queue: seven queues for seven addresses.
        self.assertEqual(7, len(used), sorted(used))


class LongNamesRabbitTest(base.RabbitMixin, LongNamesContract):
    """RPC-10 names on RabbitMQ (see the module docstring on cleanup)."""

    @decorators.idempotent_id('0aee01ce-afeb-45b5-b4af-5fa178f936b6')
    def test_long_topics_and_servers_route_apart(self):
        self._check_long_names()
