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

import oslo_messaging as om
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest import test

from zaqar_trove_tests.common import rpc
from zaqar_trove_tests.common import rpc_urls

CONF = config.CONF


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
        """A new RPC transport (``rpc.Transport`` arguments)."""
        return self.useFixture(rpc.Transport(
            url or self.transport_url(), **kwargs)).transport

    def notification_transport(self, url=None):
        return self.useFixture(rpc.Transport(
            url or self.transport_url(), notifications=True)).transport

    def server(self, transport, target, endpoint):
        """Start an RPC server of ``target``; return its fixture."""
        return self.useFixture(rpc.Server(transport, target, [endpoint]))

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
