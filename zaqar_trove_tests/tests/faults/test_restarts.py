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


"""FLT: the broker killed (SIGKILL) and restarted under a steady stream.

Two servers of one topic, each on its own transport, serve a client that
casts and calls without pause (``ledgers.Stream``); the broker -- Zaqar's
API server, or RabbitMQ for the control -- is killed, started again once
the callers noticed, and the stream goes on.

Contract: on ``zaqar://`` every cast acknowledged to its caller is
executed exactly once (nothing lost, nothing twice); every call returns
its own key or raises ``MessagingTimeout`` no later than ``SLACK`` s after
its timeout; the servers and the client resume by themselves within
``RECOVERY_BOUND`` s of the broker being ready. The control's contract
differs in two ways, both oslo's rabbit driver's defaults: casts are
at-most-once (queues are not durable and publishes are not confirmed, so
what the broker held dies with it: nothing may run twice, the losses are
reported), and a call's publish is retried until the broker is back
(``retry=None``), whatever its timeout, so a call made during the outage
may end up to its timeout after the recovery. On ``zaqar://`` an
acknowledged cast is in Redis, which the API server's death leaves alone;
a claim whose answer never left the dying server keeps its messages for
the claim TTL, after which they run once (hence ``SETTLE``). The report
(``fault-report`` detail, ``FAULT REPORT`` log line) gives the outage,
the recovery time and what callers saw.

Steps: start the servers and the stream; wait until it flows; kill the
broker; wait until callers notice; start the broker; measure until calls
and casts succeed again; stop the stream; wait for the casts; count.
"""

import logging
import time

from tempest.lib import decorators

from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base


class BrokerRestartContract(base.ServiceFaultTest):

    #: The stack service that carries the messages.
    broker = None
    #: Whether the transport promises only that nothing runs twice.
    at_most_once = False

    def _check_stream_survives(self):
        stream = self.stream()
        service = self.service(self.broker)
        stream.wait_flowing()
        row = {'fault': '%s killed and restarted' % self.broker,
               'transport': self.scheme()}
        interruption = self.interrupt(service, stream)
        row.update(interruption.row())
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost, resumed=self.calls_held_until(
            interruption), at_most_once=self.at_most_once)

    def calls_held_until(self, interruption):
        """When calls held during the outage may start their timeout."""
        return None


class ZaqarApiRestartTest(rpc_base.ZaqarMixin, BrokerRestartContract):

    broker = 'zaqar'

    @decorators.attr(type='faults')
    @decorators.idempotent_id('1af92b9a-8348-4878-929b-884d3c5c34a4')
    def test_zaqar_api_killed_under_a_stream(self):
        self._check_stream_survives()


class RabbitRestartTest(rpc_base.RabbitMixin, BrokerRestartContract):
    """The control: RabbitMQ killed under the same stream.

    oslo.messaging's rabbit driver, with its defaults (non-durable queues,
    no publisher confirms), promises at-most-once across a broker restart:
    casts queued in the broker, or acknowledged to the caller while still
    on their way to it, die with it. This run asserts that contract
    (nothing twice, calls on time) and reports the casts lost.
    """

    broker = 'rabbitmq'
    at_most_once = True

    def calls_held_until(self, interruption):
        # oslo's rabbit driver retries a call's publish until the broker is
        # back (retry=None), past the call's timeout.
        return interruption.resumed

    @decorators.attr(type='faults')
    @decorators.idempotent_id('d3a306a1-b61f-4131-a9d3-c5e0bb959afb')
    def test_rabbitmq_killed_under_a_stream(self):
        self._check_stream_survives()


class WebsocketRestartTest(rpc_base.ZaqarMixin, base.ServiceFaultTest):
    """The websocket server killed: push consumers poll, then reconnect.

    Contract: Zaqar's HTTP API stays up, so callers see nothing: every call
    returns its own key within its timeout, every cast is acknowledged and
    executed exactly once. Each driver (two servers, one client, all with
    push) logs the loss of its websocket once, polls meanwhile, and
    reconnects by itself within ``RECOVERY_BOUND`` s of the websocket
    server being ready (``recovery_s`` in the report).

    Steps: stream; kill the websocket server; wait until each driver noticed;
    10 calls while it is down; start it; wait until each driver reconnected;
    20 more calls; count.
    """

    DRIVERS = 3

    @decorators.attr(type='faults')
    @decorators.idempotent_id('a97263ed-4ada-45cb-8bab-ca76ef5b846b')
    def test_websocket_server_killed_under_a_stream(self):
        push_log = self.useFixture(ledgers.LogRecorder(
            'zaqar_trove_tests.rpc.push'))
        stream = self.stream()
        service = self.service('zaqar-websocket')
        stream.wait_flowing()
        down = time.monotonic()
        service.kill()
        waiters.wait_until(
            lambda: len(push_log.messages('reconnecting', since=down,
                                          level=logging.WARNING)) >=
            self.DRIVERS, base.RECOVERY_BOUND, interval=0.05,
            what='every driver noticing its websocket closed')
        polling = time.monotonic()
        stream.wait_flowing(count=10)
        calls_while_down = len(stream.calls.successes_since(polling))
        service.start()
        back = time.monotonic()
        # Since the kill: a driver may connect again while start() still
        # waits for the server to answer its readiness probe.
        waiters.wait_until(
            lambda: len(push_log.messages('connected again', since=down)) >=
            self.DRIVERS, base.RECOVERY_BOUND, interval=0.05,
            what='every driver connected to the websocket again')
        reconnected = time.monotonic()
        stream.wait_flowing()
        row = {'fault': 'zaqar-websocket killed and restarted',
               'transport': self.scheme(),
               'outage_s': round(back - down, 2),
               'recovery_s': round(reconnected - back, 2),
               'calls_while_down': calls_while_down}
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost, allowed=(ledgers.OK,))
        self.assertEqual({}, stream.ledger.refusals())
