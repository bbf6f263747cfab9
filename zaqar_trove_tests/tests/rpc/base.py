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


"""Base of the RPC contracts: one transport per concrete class.

A contract module defines a ``...Contract`` class holding the shared
``_check_*`` bodies, and two concrete classes, ``...ZaqarTest(ZaqarMixin,
Contract)`` and ``...RabbitTest(RabbitMixin, Contract)``, whose test
methods (each with its own idempotent id) call those bodies: the same
assertions run on ``zaqar://`` and on RabbitMQ, the control. The core
contracts also run on ``zaqar://`` with polling (``...ZaqarPollTest``,
``ZaqarPollMixin``); the stack's URL selects push.
"""

import concurrent.futures

import fixtures
import oslo_messaging as om
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc
from tempest import test

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters

CONF = config.CONF

#: Timeout (s) of the calls of the guest contracts (ISO-4, ISO-5).
CALL_TIMEOUT = 30
#: Seconds given to a wrong outcome (a forged reply taken...) to show.
WRONG_WINDOW = 3


class RpcTest(test.BaseTestCase):
    """A transport under test, from ``[zaqar_trove] <transport_option>``."""

    #: The [zaqar_trove] option holding the transport URL.
    transport_option = None

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not cls.transport_option:
            raise cls.skipException('no transport: an abstract contract')
        if not cls.transport_url():
            raise cls.skipException('[zaqar_trove] %s is not set'
                                    % cls.transport_option)

    @classmethod
    def transport_url(cls):
        return getattr(CONF.zaqar_trove, cls.transport_option)

    @classmethod
    def class_fixture(cls, fixture):
        """Set ``fixture`` up for the whole class; return it."""
        fixture.setUp()
        cls.addClassResourceCleanup(fixture.cleanUp)
        return fixture

    def transport(self, url=None, **kwargs):
        """A new RPC transport (``harness.Transport`` arguments)."""
        return self.useFixture(harness.Transport(
            url or self.transport_url(), **kwargs)).transport

    def notification_transport(self, url=None):
        return self.useFixture(harness.Transport(
            url or self.transport_url(), notifications=True)).transport

    def server(self, transport, target, endpoint):
        """Start an RPC server of ``target``; return its fixture."""
        return self.useFixture(harness.Server(transport, target, [endpoint]))

    @staticmethod
    def topic(name='topic'):
        """A fresh topic (the projects and vhost are shared)."""
        return data_utils.rand_name(prefix='ztt', name=name)

    @staticmethod
    def client(transport, topic, **kwargs):
        return om.get_rpc_client(transport, om.Target(topic=topic), **kwargs)


class ZaqarMixin:
    """The ``zaqar://`` driver under test."""

    transport_option = 'zaqar_transport_url'

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.zaqar:
            raise cls.skipException('Zaqar is not available')


class ZaqarPollMixin(ZaqarMixin):
    """The ``zaqar://`` driver with HTTP polling instead of push."""

    @classmethod
    def transport_url(cls):
        return rpc_urls.derive(super().transport_url(), delivery='poll')


class RabbitMixin:
    """RabbitMQ, the control transport."""

    transport_option = 'rabbit_transport_url'


class GuestsTest(ZaqarMixin, RpcTest):
    """Guests of a control plane on ``zaqar://``, and what attacks them.

    Subclasses set ``self.zaqar`` (the control plane's ``ZaqarClients``):
    it is the endpoint the guests' raw requests go to.
    """

    def setUp(self):
        super().setUp()
        self.pool = concurrent.futures.ThreadPoolExecutor(4)
        self.addCleanup(self.pool.shutdown)

    def assert_served(self, client, endpoint):
        """Calls and a cast reach ``endpoint`` and only it answers."""
        value = data_utils.rand_name('victim')
        self.assertEqual({'server': endpoint.name, 'value': value},
                         client.call({}, 'echo', value=value))
        self.assertEqual({'server': endpoint.name, 'value': value + '!'},
                         client.prepare(server=endpoint.name).call(
                             {}, 'echo', value=value + '!'))
        client.cast({}, 'note', value=value)
        waiters.wait_until(lambda: value in endpoint.values('note'),
                           CALL_TIMEOUT, what='the victim cast delivered')

    def holding_call(self, client, endpoint):
        """A call ``endpoint`` executes until released: ``(future, value)``."""
        value = data_utils.rand_name('held')
        self.addCleanup(endpoint.release)
        future = self.pool.submit(client.call, {}, 'hold', value=value)
        waiters.wait_until(lambda: value in endpoint.values('hold'),
                           CALL_TIMEOUT, what='the held call executing')
        return future, value

    def assert_refused(self, func, *args, **kwargs):
        """A signed-URL request Zaqar must refuse (404, see services)."""
        self.assertRaises(lib_exc.NotFound, func, *args, **kwargs)

    def assert_no_access(self, grant_clients, queue):
        """``grant_clients`` can neither read nor write ``queue``."""
        self.assert_refused(grant_clients.messages.list_messages, queue)
        self.assert_refused(grant_clients.messages.pop_messages, queue, 10)
        self.assert_refused(grant_clients.claims.claim_messages, queue,
                            ttl=60, grace=60, limit=10)
        self.assert_refused(grant_clients.messages.post_messages, queue,
                            [{'body': {'forged': True}, 'ttl': 60}])
        self.assert_refused(grant_clients.queues.show_queue_stats, queue)

    def answer_with_grant(self, call, result, msg_id=None):
        """Reply as the guest ``call`` reached: its grant and reply key.

        :param msg_id: the call answered (default ``call``'s own).
        """
        reply = rpc_guests.grant_clients(self.zaqar, call['rg'])
        reply.messages.post_messages(call['rq'], [
            {'body': rpc_guests.forged_reply(msg_id or call['mid'], result,
                                             call['rk']), 'ttl': 60}])


class SignedUrlsMixin:
    """Skips unless the deployment has pre-signed URLs enabled."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.signed_urls:
            raise cls.skipException('pre-signed URLs are not enabled')


class SignedControlTest(SignedUrlsMixin, GuestsTest):
    """A control plane in the primary project that mints guests' grants.

    ``setUp`` gives ``self.control_url`` and ``self.control`` (the
    control plane's URL and transport: keystone credentials of the
    primary project), ``self.zaqar`` (that project's clients) and
    ``self.grants_dir`` (a directory for guests' files).
    """

    credentials = ['primary']

    def setUp(self):
        super().setUp()
        self.control_url = rpc_urls.for_credentials(
            self.transport_url(), self.os_primary.credentials)
        self.zaqar = clients.ZaqarClients(self.os_primary)
        self.control = self.transport(self.control_url)
        self.grants_dir = self.useFixture(fixtures.TempDir()).path
