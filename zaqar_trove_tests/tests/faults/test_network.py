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

"""FLT-N: the network between the drivers and Zaqar goes bad.

Through a fault proxy (common/faults/proxy: a process on loopback,
placed by pointing a URL at it) rather than by stopping a service, so
these tests need no control of the stack and run in parallel.

The push websocket half-open: every frame is swallowed both ways and no
RST comes, as when a NAT or firewall forgets the connection. Contract:
each driver notices within 3 * PING s plus the reconnect's own wait
(its pings go unanswered) and polls meanwhile; calls return their own key
or raise MessagingTimeout on time; once the path heals every driver
connects again by itself; every acknowledged cast runs exactly once.

Steps: two servers and a client, each with push through the proxy (HTTP
straight to Zaqar); the stream flows; the proxy turns half-open; wait
until each driver logged the loss; 10 more calls; heal; wait until each
driver connected again; the stream flows; count.
"""

import logging
import time
from urllib import parse

from tempest.lib import decorators

from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common.faults import proxy as fault_proxy
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base

#: push_ping_interval (s) of the drivers under test.
PING = 1
DRIVERS = 3


class WebsocketHalfOpenTest(rpc_base.ZaqarMixin, base.FaultTest):

    @decorators.attr(type='faults')
    @decorators.idempotent_id('d694e479-d219-4441-b5b9-ed7f932d6d43')
    def test_push_websocket_half_open(self):
        url = self.transport_url()
        websocket = parse.urlsplit(
            dict(parse.parse_qsl(parse.urlsplit(url).query))[
                'websocket_url'])
        proxy = self.useFixture(fault_proxy.FaultProxy(websocket.hostname,
                                                       websocket.port))
        push_log = self.useFixture(ledgers.LogRecorder(
            'zaqar_trove_tests.rpc.push'))
        stream = self.stream(rpc_urls.derive(
            url, websocket_url='ws://%s:%d' % (proxy.host, proxy.port),
            push_ping_interval=PING))
        stream.wait_flowing()
        cut = time.monotonic()
        proxy.toxic('half_open')
        waiters.wait_until(
            lambda: len(push_log.messages('reconnecting', since=cut,
                                          level=logging.WARNING)) >= DRIVERS,
            base.RECOVERY_BOUND, interval=0.05,
            what='every driver noticing its websocket went silent')
        noticed = time.monotonic() - cut
        polling = time.monotonic()
        stream.wait_flowing(count=10)
        calls_while_cut = len(stream.calls.successes_since(polling))
        proxy.clear_toxic('half_open')
        healed = time.monotonic()
        waiters.wait_until(
            lambda: len(push_log.messages('connected again',
                                          since=cut)) >= DRIVERS,
            base.RECOVERY_BOUND, interval=0.05,
            what='every driver connected to the websocket again')
        reconnected = time.monotonic()
        stream.wait_flowing()
        row = {'fault': 'push websocket half-open (frames dropped, no RST)',
               'transport': self.scheme(),
               'noticed_s': round(noticed, 2),
               'outage_s': round(healed - cut, 2),
               'recovery_s': round(reconnected - healed, 2),
               'calls_while_down': calls_while_cut}
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost)
        self.assertEqual({}, stream.ledger.refusals())
