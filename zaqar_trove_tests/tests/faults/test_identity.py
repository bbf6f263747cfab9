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


"""FLT: tokens that die during a run, and Keystone down.

``auth_mode=keystone`` drivers hold a keystoneauth session that fetches a
new token 120 s before the old one expires: with the stack-wide one-hour
lifetime, expiry itself never reaches Zaqar in a test. What does is a
token Keystone no longer honours -- revoked -- once Zaqar asks Keystone
again (keystonemiddleware caches a validation for ``token_cache_time``,
300 s by default, per API worker; restarting the API server empties the
caches). ``auth_mode=token`` drivers are documented never to refresh:
their token's real expiry is tested with a short-lived one.
"""

import time

import oslo_messaging as om
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common.faults import identity as fault_identity
from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common import identity
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base

#: Lifetime (s) of the short-lived token: long enough for the stream to
#: flow first.
LIFETIME = 20
PROBE_TIMEOUT = 3
#: A refusal (no retry) must reach its caller within this (s).
REFUSAL_BOUND = 5
#: An idle push consumer reads its queues this often (s) in any case
#: (the driver's push_safety_interval).
SAFETY_READ = 10
LATE = 10


class RevokedTokenTest(rpc_base.ZaqarMixin, base.ServiceFaultTest):
    """Revoked tokens: the driver authenticates again, loses nothing.

    Contract: a driver whose token Zaqar refuses (401) fetches a new one
    and repeats the request, so the stream goes on: nothing acknowledged
    lost, nothing twice, calls on time.

    Steps: stream as the class's own user; revoke every token of that
    user; kill and restart Zaqar's API (emptying its validation caches);
    check that a token issued before the revocation is now refused while
    the stream resumed; count.
    """

    credentials = ['primary']

    @decorators.attr(type='faults')
    @decorators.idempotent_id('96b7e44f-67f3-4878-9b88-f1d8328b1462')
    def test_driver_authenticates_again_after_revocation(self):
        stream = self.stream(url=self.primary_url())
        service = self.service('zaqar')
        stream.wait_flowing()
        fault_identity.revoke_all_tokens(self.os_primary)
        row = {'fault': "driver's tokens revoked, zaqar restarted",
               'transport': self.scheme()}
        interruption = self.interrupt(service, stream)
        row.update(interruption.row())
        queues = clients.ZaqarClients(self.os_primary).queues
        self.assertRaises(lib_exc.Unauthorized, queues.list_queues)
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost)


class KeystoneOutageTest(rpc_base.ZaqarMixin, base.ServiceFaultTest):
    """Keystone down: clear errors, running drivers go on, then recover.

    Contract: a driver that needs a token while Keystone is down fails
    with an oslo exception naming Keystone, at once for a cast without
    retry and within its timeout for a call; drivers already holding a
    token keep using it (Zaqar answers what it validated before, 503
    otherwise: calls may time out, casts wait), nothing acknowledged is
    lost or run twice, and everything resumes by itself once Keystone is
    back. The stream's drivers poll (no websocket); a separate push driver
    whose websocket must authenticate again during the outage (the
    websocket server restarted) must keep its still valid token for HTTP.
    While Keystone is
    down Zaqar's API spends ~3.5 s on every request whose token a worker
    has not validated before (keystonemiddleware tries Keystone three
    times) before it answers 503.

    Steps: stream (polling) and a push driver serving a second topic;
    stop Keystone; probe with a new driver; restart the websocket server;
    watch the push driver; start Keystone; measure; count.
    """

    @decorators.attr(type='faults')
    @decorators.idempotent_id('b2377fcb-e28a-4efa-8427-8d57755c88b1')
    def test_keystone_down_under_a_stream(self):
        driver_log = self.useFixture(ledgers.LogRecorder(
            'zaqar_trove_tests.rpc'))
        stream = self.stream(url=rpc_urls.derive(self.transport_url(),
                                                 delivery='poll'))
        # One driver (one token, one websocket) serves and calls.
        push_transport = self.transport()
        push_topic = self.topic('pushed')
        self.server(push_transport, om.Target(topic=push_topic,
                                              server='pushed'),
                    ledgers.LedgerEndpoint(ledgers.Ledger(), 'pushed'))
        push_client = self.client(push_transport, push_topic, timeout=30)
        self.assertEqual('before', push_client.call({}, 'echo',
                                                    key='before'))
        keystone = self.service('keystone')
        websocket = self.service('zaqar-websocket')
        stream.wait_flowing()
        row = {'fault': 'keystone stopped and started',
               'transport': self.scheme()}

        def during():
            self.probe_new_driver(row)
            row['push_driver_call'] = self.websocket_reauth(
                websocket, driver_log, push_client)

        interruption = self.interrupt(keystone, stream, during=during,
                                      action='stop', noticed=False)
        row.update(interruption.row())
        self.assertEqual('after', push_client.call({}, 'echo', key='after'))
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost)
        self.assertNotIn('keystone', row['push_driver_call'])

    def probe_new_driver(self, row):
        client = self.client(self.transport(), self.topic('nobody'))
        error, elapsed = harness.timed_failure(
            om.MessageDeliveryFailure, client.prepare(retry=0).cast, {},
            'note', key='probe-cast')
        row['new_driver_cast'] = '%s after %.2f s' % (error, elapsed)
        self.assertIn('keystone', str(error))
        self.assertLess(elapsed, REFUSAL_BOUND)
        error, elapsed = harness.timed_failure(
            om.MessagingTimeout, client.prepare(timeout=PROBE_TIMEOUT).call,
            {}, 'echo', key='probe-call')
        row['new_driver_call'] = '%s after %.2f s' % (error, elapsed)
        self.assertIn('keystone', str(error))
        self.assertLess(elapsed, PROBE_TIMEOUT + base.SLACK)

    @staticmethod
    def websocket_reauth(websocket, driver_log, push_client):
        """Restart the websocket server; then call through the push driver.

        :returns: how the call ended: 'ok' or the error's text, which
            names Keystone if the driver asked it for a new token.
        """
        websocket.kill()
        websocket.start()
        back = time.monotonic()
        waiters.wait_until(
            lambda: driver_log.messages('reconnecting', since=back,
                                        logger='zaqar_trove_tests.rpc.push'),
            base.RECOVERY_BOUND, interval=0.1,
            what='the push driver trying its websocket again')
        try:
            push_client.prepare(timeout=PROBE_TIMEOUT).call(
                {}, 'echo', key='reauthenticated')
        except om.MessagingTimeout as exc:
            return str(exc)
        return ledgers.OK


class TokenExpiryTest(rpc_base.ZaqarMixin, base.FaultTest):
    """``auth_mode=token``: the token expires mid-stream.

    Contract (such a driver never refreshes its token): once Zaqar refuses
    it, casts raise ``MessageDeliveryFailure`` at once naming the refusal
    (401) and calls fail within their timeout, not later; the servers log
    the refusal and keep running; every cast acknowledged before expiry
    ran exactly once, and so do casts sent meanwhile by a valid sender:
    they wait in the queue for a server given a new token (a cast claimed
    just before expiry whose delete was refused waits for the claim TTL).

    Steps: a token living ``LIFETIME`` s; stream with it; wait until
    Keystone says it expired and callers are refused; a valid sender
    casts ``LATE`` more; a server with a fresh token starts; count.
    """

    credentials = ['primary']

    @decorators.attr(type='faults')
    @decorators.idempotent_id('24ce02d0-59d1-4641-8361-6a01a0255ba7')
    def test_token_expiring_mid_stream(self):
        listener_log = self.useFixture(ledgers.LogRecorder(
            'zaqar_trove_tests.rpc.listener'))
        project = self.os_primary.credentials.project_id
        token = identity.short_lived_token(self.os_primary, self.addCleanup,
                                           LIFETIME)
        url = fault_identity.token_url(self.transport_url(), token, project)
        stream = self.stream(url=url)
        stream.wait_flowing(count=10, timeout=LIFETIME)
        waiters.wait_until(
            lambda: not identity.is_valid(self.os_primary, token),
            LIFETIME + 30, interval=0.5, what='expiry of the token')
        expired = time.monotonic()
        waiters.wait_until(
            lambda: (stream.ledger.refused_since(expired) and
                     stream.calls.failures_since(expired)),
            REFUSAL_BOUND + base.CALL_TIMEOUT, interval=0.05,
            what='a cast and a call refused after expiry')
        refused_after = time.monotonic() - expired
        error, elapsed = harness.timed_failure(
            om.MessageDeliveryFailure, stream.client.cast, {}, 'note',
            key='probe')
        row = {'fault': 'token (auth_mode=token) expired',
               'transport': self.scheme(),
               'refused_after_expiry_s': round(refused_after, 2),
               'cast_error': '%s after %.2f s' % (error, elapsed)}
        self.assertIn('401', str(error))
        self.assertLess(elapsed, REFUSAL_BOUND)
        waiters.wait_until(
            lambda: listener_log.messages('refuses reading'),
            SAFETY_READ + REFUSAL_BOUND, interval=0.1,
            what='servers logging the refusal')
        # Casts of a valid sender while the servers are refused; a server
        # given a new token takes them and what the others left.
        sender = self.client(self.transport(self.primary_url()),
                             stream.client.target.topic)
        for number in range(LATE):
            key = 'late%d' % number
            stream.ledger.sending(key)
            sender.cast({}, 'note', key=key)
            stream.ledger.acked(key)
        fresh = fault_identity.token_url(
            self.transport_url(), identity.fresh_token(self.os_primary),
            project)
        self.server(self.transport(fresh),
                    om.Target(topic=stream.client.target.topic,
                              server='renewed'),
                    ledgers.LedgerEndpoint(stream.ledger, 'renewed'))
        lost = self.finish(stream, row)
        self.assert_intact(stream, lost, allowed=(
            ledgers.OK, 'MessagingTimeout', 'MessageDeliveryFailure'))
        self.assertEqual({'MessageDeliveryFailure'},
                         set(stream.ledger.refusals()))
