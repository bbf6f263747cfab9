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

"""TRV-2: Trove's secure RPC (per-instance keys) over a transport.

What a stored message shows is read from Zaqar itself (``zaqar://``
only); what a guest holding the wrong key can do is Trove's own
behaviour, so it runs on ``rabbit://`` too, as the control.
"""

import json

from oslo_utils import timeutils
from tempest.lib import decorators
from testtools import matchers

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.tests.scenario import base


class SecureRpcScenario(base.TroveScenarioTest):
    """TRV-2 scenario; concrete classes name the transport.

    Class steps: Trove's control plane with its default
    ``enable_secure_rpc_messaging = True`` and its conductor. Each test
    makes its own instances (Trove gives each a random RPC key) and
    guests; its steps are in its docstring.

    A guest "with the wrong key" is a stand-in serving instance A's
    queues with instance B's key: any guest can do that where guests
    share the transport's credentials, Trove's usual deployment (see
    ``test_trove_guest_isolation`` for guests that cannot).
    """

    def impostor(self, victim):
        """A stand-in on ``victim``'s queues holding another instance's key.

        One dispatch thread: it handles requests in order, so its answer
        to a later call means it handled the earlier cast.
        """
        other = self.control.create_instance()
        return self.start_guest(victim, self.addCleanup,
                                key=self.control.instance_key(other),
                                workers=1)

    def _check_wrong_key_reads_nothing(self):
        """A guest with the wrong key cannot read another instance's request.

        1. Instance A; an impostor on A's queues with B's key.
        2. create_user cast to A (user U, password P), then an rpc_ping
           call to A (which the impostor handles after the cast).
        3. Neither P, nor U, nor the caller's project reached the
           impostor (Trove's serializer left it the ciphertext), and it
           created no user.
        """
        victim = self.control.create_instance()
        impostor = self.impostor(victim)
        api = self.control.guest_api(victim)
        name, password = base.rand_name('u'), base.rand_name('Pw-')
        api.create_user([base.user(self.trove, name, password)])
        api.rpc_ping()

        # The impostor got the cast: its one argument, as ciphertext.
        self.assertEqual(1, len([value for value in impostor.recorder.received
                                 if isinstance(value, str)]))
        seen = impostor.recorder.dump()
        for secret in (password, name, self.control.context.project_id):
            self.assertNotIn(secret, seen)
        self.assertEqual([], impostor.manager.server.list_users()[0])

    def _check_wrong_key_answer_refused(self):
        """Trove must not accept an answer encrypted with the wrong key.

        1. Instance A; an impostor on A's queues with B's key.
        2. is_root_enabled call to A: the impostor answers (False,
           encrypted with B's key).
        3. Trove's API raises GuestError (known defect: it returns the
           impostor's ciphertext string, which is true).
        """
        victim = self.control.create_instance()
        impostor = self.impostor(victim)
        api = self.control.guest_api(victim)
        try:
            answer = api.is_root_enabled()
        except self.trove.exception.GuestError as exc:
            answer = exc
        defects.expect(self, 'trove-secure-rpc-undecryptable', answer,
                       correct=matchers.IsInstance(
                           self.trove.exception.GuestError),
                       symptom=self.sealed(False, impostor.key))

    def sealed(self, value, key):
        """Matches ``value`` as Trove's SecureSerializer sends it with key.

        A base64 string that Trove's crypto opens with ``key`` to the
        JSON of ``value``.
        """
        crypto = self.trove.crypto

        def opened(text):
            try:
                return json.loads(crypto.decrypt_data(
                    crypto.decode_data(text), key))
            except (IndexError, TypeError, ValueError):
                return 'not sealed with %s' % key

        return matchers.MatchesAll(
            matchers.IsInstance(str),
            matchers.AfterPreprocessing(opened, matchers.Equals(value)),
            first_only=True)

    def _check_forged_heartbeat_refused(self):
        """The conductor refuses a heartbeat encrypted with the wrong key.

        1. Instance A (NEW in Trove); an impostor on A's queues with B's
           key sends, through Trove's conductor API, a heartbeat for A
           saying SHUTDOWN.
        2. Trove's conductor fails to decrypt it; A stays NEW.
        3. A's own guest (A's key) restarts on request: its heartbeat
           makes A HEALTHY, so the conductor does accept A's key.
        """
        victim = self.control.create_instance()
        impostor = self.impostor(victim)
        conductor = self.control.conductor.recorder
        failures = len(conductor.failures)
        impostor.conductor(self.trove.context.TroveContext()).heartbeat(
            victim, {'service_status': 'shutdown'},
            sent=timeutils.utcnow_ts(microsecond=True))
        base.wait_for(lambda: len(conductor.failures) > failures,
                      "the conductor's refusal of the forged heartbeat")
        self.assertEqual('new', self.control.service_status(victim))

        impostor.stop()
        self.start_guest(victim, self.addCleanup)
        self.control.guest_api(victim).restart()
        base.wait_for(
            lambda: self.control.service_status(victim) == 'healthy',
            "instance HEALTHY after its own guest's heartbeat")


class SecureRpcZaqarTest(SecureRpcScenario):
    """TRV-2 on ``zaqar://`` (steps: ``SecureRpcScenario``)."""

    transport = 'zaqar'

    def stored_create_user(self, instance_id):
        """Cast create_user to a guest that is not running; read it back.

        :returns: (user name, password, the stored Zaqar message).
        """
        name, password = base.rand_name('u'), base.rand_name('Pw-')
        api = self.control.guest_api(instance_id)
        api.create_user([base.user(self.trove, name, password)])
        queue = self.control.guest_queues(instance_id)['topic']
        messages = self.zaqar.messages.list_messages(queue, echo=True)[
            'messages']
        self.assertEqual(['create_user'],
                         [m['body']['msg']['method'] for m in messages])
        return name, password, messages[0]

    @decorators.idempotent_id('7a271dca-6daa-4f79-93b4-fb330e7e706e')
    def test_stored_message_holds_no_password(self):
        """The raw message in Zaqar holds ciphertext only.

        1. Instance A (secure RPC: its own key); no guest yet.
        2. create_user cast (user U, password P).
        3. The message stored in A's queue (read with Zaqar's REST API):
           no P, no U, no project or user id of the caller; its argument
           decrypts with A's key (Trove's crypto) to the user with P.
        4. A's guest starts: it holds U with password P.
        """
        instance_id = self.control.create_instance()
        name, password, message = self.stored_create_user(instance_id)
        text = json.dumps(message)
        for secret in (password, name, self.control.context.project_id,
                       self.control.context.user_id):
            self.assertNotIn(secret, text)
        crypto, key = self.trove.crypto, self.control.instance_key(
            instance_id)
        users = json.loads(crypto.decrypt_data(crypto.decode_data(
            message['body']['msg']['args']['users']), key))
        self.assertEqual([(name, password)],
                         [(u['_name'], u['_password']) for u in users])

        guest = self.start_guest(instance_id, self.addCleanup)
        base.wait_for(lambda: guest.manager.server.password(name),
                      'user %s on the guest' % name)
        self.assertEqual(password, guest.manager.server.password(name))

    @decorators.idempotent_id('89a06b3f-eb53-41a4-9522-8a246a0a4657')
    def test_plain_rpc_message_shows_password(self):
        """Control: without secure RPC the stored message shows P.

        1. Instance A made with enable_secure_rpc_messaging off (no key).
        2. create_user cast (user U, password P).
        3. The message stored in Zaqar contains P: the check of
           ``test_stored_message_holds_no_password`` can see plaintext.
        """
        with self.control.options(enable_secure_rpc_messaging=False):
            instance_id = self.control.create_instance()
        self.assertIsNone(self.control.instance_key(instance_id))
        _, password, message = self.stored_create_user(instance_id)
        self.assertIn(password, json.dumps(message))

    @decorators.idempotent_id('60784b76-3928-4bb2-bd15-0d73747e30d9')
    def test_wrong_key_reads_nothing(self):
        self._check_wrong_key_reads_nothing()

    @decorators.idempotent_id('abbe3baf-ceaf-46b8-9693-b6a204f6afe9')
    def test_wrong_key_answer_refused(self):
        self._check_wrong_key_answer_refused()

    @decorators.idempotent_id('293b657b-57af-41ba-9826-057743a65a0d')
    def test_forged_heartbeat_refused(self):
        self._check_forged_heartbeat_refused()


class SecureRpcRabbitTest(SecureRpcScenario):
    """TRV-2 on ``rabbit://``, the control (steps: ``SecureRpcScenario``)."""

    transport = 'rabbit'

    @decorators.idempotent_id('337e791e-5b72-4168-88b5-c5c1409ebb6d')
    def test_wrong_key_reads_nothing(self):
        self._check_wrong_key_reads_nothing()

    @decorators.idempotent_id('9d705488-bf77-43ac-bf94-f01134a9ed0f')
    def test_wrong_key_answer_refused(self):
        self._check_wrong_key_answer_refused()

    @decorators.idempotent_id('fc751d41-43ce-48ed-bb3a-461f3db15e32')
    def test_forged_heartbeat_refused(self):
        self._check_forged_heartbeat_refused()
