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


"""Base classes of the fault tests (FLT).

``FaultTest`` is an RPC contract base (``tests.rpc.base.RpcTest``: one
transport per concrete class, ``ZaqarMixin`` / ``RabbitMixin``) that adds
the stream of a fault run and its report. ``ServiceFaultTest`` stops
services of the local stack: every class deriving from it is ``serial``
(tempest runs it alone, a fault on the shared stack would hit every
parallel test), skips unless ``[zaqar_trove] stack_state_dir`` names a
stack it may control, and brings each service it touches back (running
and ready) after the test, whatever happened.
"""

import collections
import json
import logging
import time
from urllib import parse

import fixtures
import oslo_messaging as om
from tempest import config
from tempest.lib import decorators
from testtools import content

from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common.faults import proxy as fault_proxy
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.stack import control
from zaqar_trove_tests.tests.rpc import base as rpc_base

CONF = config.CONF
LOG = logging.getLogger(__name__)

#: Timeout (s) of the stream's calls.
CALL_TIMEOUT = 5
#: How late (s) after its timeout a call may end.
SLACK = 2
#: Callers must succeed again within this (s) of the service being back:
#: the zaqar:// driver backs off up to 10 s, oslo's rabbit driver more.
RECOVERY_BOUND = 45
#: Acknowledged casts must all run within this (s) once the stream
#: stopped: a claim whose answer a dying Zaqar never sent holds its
#: messages for the driver's claim TTL (60 s).
SETTLE = 90


class FaultTest(rpc_base.RpcTest):
    """A fault run on one transport; reports what callers saw."""

    @classmethod
    def scheme(cls):
        """``zaqar://`` or ``rabbit://``: the transport, for reports."""
        return cls.transport_url().split(':', 1)[0] + '://'

    def primary_url(self):
        """The zaqar:// URL as the class's primary credentials."""
        return rpc_urls.for_credentials(self.transport_url(),
                                        self.os_primary.credentials)

    def stream(self, url=None, servers=2, call_timeout=CALL_TIMEOUT,
               server_url=None, interval=0.05, **client_options):
        """Servers of a fresh topic and a ``ledgers.Stream`` to them, started.

        Each server and the client have their own transport (their own
        driver instance), as separate hosts would.

        :param server_url: the servers' URL, if not the client's ``url``.
        :param interval: seconds between requests of each stream thread.
        """
        ledger, calls = ledgers.Ledger(), ledgers.CallLog()
        topic = self.topic('flt')
        for number in range(servers):
            name = 'server-%d' % number
            self.server(self.transport(server_url or url),
                        om.Target(topic=topic, server=name),
                        ledgers.LedgerEndpoint(ledger, name))
        client = self.client(self.transport(url), topic, **client_options)
        stream = ledgers.Stream(client, ledger, calls, interval=interval,
                                call_timeout=call_timeout)
        stream.start()
        self.addCleanup(stream.stop)
        return stream

    def finish(self, stream, row, settle=SETTLE):
        """Stop ``stream``, wait for its casts, attach the report ``row``.

        ``settle_s`` in the report: how long after the stream stopped the
        last acknowledged cast ran (a claim TTL shows here).

        :returns: the acknowledged casts never executed.
        """
        stream.stop()
        stopped = time.monotonic()
        lost = ledgers.wait_settled(stream.ledger, settle)
        row['settle_s'] = round(time.monotonic() - stopped, 2)
        row.update(ledgers.report(stream.ledger, stream.calls))
        self.attach_report(row)
        return lost

    def network_path(self, url=None):
        """A ``NetworkPath`` from a party to the broker, for its URL."""
        return self.useFixture(NetworkPath(url or self.transport_url()))

    def attach_report(self, row):
        """Log the row of the fault table and attach it to the result."""
        text = json.dumps(row, sort_keys=True)
        LOG.info('FAULT REPORT %s', text)
        self.addDetail('fault-report', content.text_content(text))

    def assert_intact(self, stream, lost, allowed=(ledgers.OK,
                                                   'MessagingTimeout'),
                      resumed=None, at_most_once=False, slack=SLACK,
                      twice_possible=False):
        """Nothing acknowledged lost, nothing run twice, calls on time.

        :param resumed: calls may also end within their timeout of this
            moment (see ``CallLog.overruns``).
        :param at_most_once: the transport only promises that nothing runs
            twice: acknowledged casts may be lost (they are reported).
        :param slack: seconds a call may end after its timeout.
        :param twice_possible: the transport may run a request twice in
            this fault (a known defect of its own; the row reports it).
        """
        ledger, calls = stream.ledger, stream.calls
        if not at_most_once:
            self.assertEqual([], lost, 'acknowledged casts never executed')
        if not twice_possible:
            self.assertEqual({}, ledger.duplicated(), 'keys executed twice')
        self.assertEqual([], ledger.strays(), 'executed, never sent')
        self.assertEqual([], calls.unexpected(allowed),
                         'calls ended otherwise than %s' % (allowed,))
        self.assertEqual([], calls.overruns(slack, resumed),
                         'calls that ended more than %d s after their '
                         'timeout' % slack)


@decorators.serial
class ServiceFaultTest(FaultTest):
    """Stops services of the local stack: serial, restores them."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove.stack_state_dir:
            raise cls.skipException(
                '[zaqar_trove] stack_state_dir is not set: no stack whose '
                'services this run may stop')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.stack = control.Stack(CONF.zaqar_trove.stack_state_dir)

    def service(self, name):
        """The stack's service ``name``, restored after the test.

        Register it after the servers and transports of the test: cleanups
        run in reverse, so the service is back before they stop.
        """
        service = self.stack.service(name)
        self.addCleanup(self._restore, service)
        return service

    @staticmethod
    def _restore(service):
        if not service.is_running():
            LOG.warning('Restoring %s after a fault test', service.name)
            service.start(wait=False)
        service.wait_ready()

    def interrupt(self, service, stream, during=None, action='kill',
                  noticed=True):
        """``action`` (kill or stop) ``service`` and start it again.

        It is started once ``during()`` (checks made while it is down)
        returned and, if ``noticed``, the stream's callers noticed the
        outage.

        :returns: an ``Interruption``.
        """
        down = time.monotonic()
        getattr(service, action)()
        if noticed:
            stream.wait_outage_seen(down)
        if during is not None:
            during()
        service.start()
        back = time.monotonic()
        recovery = stream.wait_resumed(back, RECOVERY_BOUND)
        stream.wait_flowing()
        return Interruption(down, back, back + recovery)


class NetworkPath(fixtures.Fixture):
    """The network between one party and the broker: fault proxies.

    ``url`` reaches the broker of the given transport URL through them:
    a zaqar:// URL's API and ``websocket_url`` each through an HTTP fault
    proxy, a rabbit:// URL's first host through a raw one. ``toxic`` and
    ``clear_toxic`` act on every proxy of the path.
    """

    def __init__(self, url):
        super().__init__()
        self.broker_url = url
        self.proxies = []

    def _setUp(self):
        parts = parse.urlsplit(self.broker_url)
        if parts.scheme.startswith('zaqar'):
            api = self._proxy(*rpc_urls.zaqar_host(self.broker_url))
            query = dict(parse.parse_qsl(parts.query))
            websocket = query.get('websocket_url')
            extra = {}
            if websocket:
                ws = parse.urlsplit(websocket)
                ws_proxy = self._proxy(ws.hostname, ws.port)
                extra['websocket_url'] = '%s://%s:%d%s' % (
                    ws.scheme, ws_proxy.host, ws_proxy.port, ws.path)
            self.url = rpc_urls.via(self.broker_url, api.host, api.port,
                                    **extra)
        else:
            host = parse.urlsplit('//' + parts.netloc.split(',')[0])
            proxy = self._proxy(host.hostname, host.port or 5672, raw=True)
            self.url = rpc_urls.via(self.broker_url, proxy.host, proxy.port)

    def _proxy(self, host, port, raw=False):
        proxy = self.useFixture(fault_proxy.FaultProxy(host, port, raw=raw))
        self.proxies.append(proxy)
        return proxy

    def toxic(self, name, **params):
        for proxy in self.proxies:
            proxy.toxic(name, **params)

    def clear_toxic(self, name):
        for proxy in self.proxies:
            proxy.clear_toxic(name)


class Interruption(collections.namedtuple('Interruption',
                                          'down back resumed')):
    """When a service went down, was back, and callers succeeded again."""

    def row(self):
        """``outage_s`` and ``recovery_s`` of the report."""
        return {'outage_s': round(self.back - self.down, 2),
                'recovery_s': round(self.resumed - self.back, 2)}
