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

"""The stand-in driven by Trove's control plane on oslo's ``fake://``.

oslo.messaging's in-memory driver carries the requests (no service
needed); Trove's code, database and serializers are real. The fake
driver's exchanges belong to one transport, so the stand-in shares the
control plane's.
"""

import json

import testtools

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.guest import controlplane
from zaqar_trove_tests.guest import service
from zaqar_trove_tests.guest import troveenv


class StandInTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.trove = troveenv.load()
        cls.control = controlplane.ControlPlane(
            cls.trove, 'fake:/', overrides={'agent_call_low_timeout': 2})
        cls.control.start_conductor()

    @classmethod
    def tearDownClass(cls):
        cls.control.close()
        super().tearDownClass()

    def guest(self, instance_id, **kwargs):
        kwargs.setdefault('key', self.control.instance_key(instance_id))
        guest = service.GuestStandIn(
            instance_id, transport=self.control.transport, **kwargs)
        guest.start()
        self.addCleanup(guest.stop)
        return guest

    def wait(self, predicate, what):
        return waiters.wait_until(predicate, 30, 0.05, what)

    def test_secure_calls_casts_and_heartbeats(self):
        instance_id = self.control.create_instance()
        self.assertIsNotNone(self.control.instance_key(instance_id))
        guest = self.guest(instance_id)
        api = self.control.guest_api(instance_id)
        self.assertIs(True, api.rpc_ping())
        api.create_database([self.trove.mysql_models.MySQLSchema(
            name='db_1').serialize()])
        self.wait(lambda: api.list_databases()[0], 'the database')
        self.assertEqual('db_1', api.list_databases()[0][0]['_name'])
        api.stop_db()
        self.wait(lambda: self.control.service_status(instance_id) ==
                  'shutdown', 'the heartbeat in Trove')
        # What the guest deserialized is the plain request.
        self.assertIn('db_1', guest.recorder.dump())

    def test_prepare_before_the_guest(self):
        instance_id = self.control.create_instance()
        api = self.control.guest_api(instance_id)
        api.prepare(memory_mb=1, packages='', databases=[], users=[],
                    root_password='Root-pw')
        guest = self.guest(instance_id)
        self.wait(lambda: self.control.service_status(instance_id) ==
                  'healthy', 'the prepared guest HEALTHY in Trove')
        self.assertEqual('Root-pw', guest.manager.server.root_password)

    def test_timeout_and_errors(self):
        instance_id = self.control.create_instance()
        api = self.control.guest_api(instance_id)
        self.assertRaises(self.trove.exception.GuestTimeout, api.rpc_ping)
        self.guest(instance_id)
        self.assertRaises(self.trove.exception.GuestError,
                          api.get_root_password)
        self.assertRaises(self.trove.exception.GuestError, api.get_hwinfo)

    def test_wrong_key_sees_ciphertext(self):
        victim, other = (self.control.create_instance(),
                         self.control.create_instance())
        impostor = self.guest(victim, workers=1,
                              key=self.control.instance_key(other))
        api = self.control.guest_api(victim)
        api.create_user([self.trove.mysql_models.MySQLUser(
            name='u_1', password='Secret-pw').serialize()])
        api.rpc_ping()
        self.assertNotIn('Secret-pw', impostor.recorder.dump())
        self.assertEqual([], impostor.manager.server.list_users()[0])


class InstanceLabelTest(testtools.TestCase):

    class Labelled:
        """What Trove's ConductorGuestSerializer makes of its input."""

        def serialize_entity(self, ctxt, entity):
            return json.dumps({'entity': 'x', 'csz-instance-id': None})

        def serialize_context(self, ctxt):
            return {'context': 'x', 'csz-instance-id': None}

    class Plain:
        """Its output without a key: the input."""

        def serialize_entity(self, ctxt, entity):
            return entity

        def serialize_context(self, ctxt):
            return ctxt

    def test_labels_encrypted_payloads_with_the_instance(self):
        label = service.InstanceLabel(self.Labelled(), 'id-1', True)
        self.assertEqual({'entity': 'x', 'csz-instance-id': 'id-1'},
                         json.loads(label.serialize_entity(None, 1)))
        self.assertEqual({'context': 'x', 'csz-instance-id': 'id-1'},
                         label.serialize_context({}))

    def test_leaves_plain_payloads(self):
        label = service.InstanceLabel(self.Plain(), 'id-1', False)
        plain = json.dumps({'csz-instance-id': 'id-2'})
        self.assertEqual(plain, label.serialize_entity(None, plain))
        self.assertEqual({'csz-instance-id': 'id-2'},
                         label.serialize_context({'csz-instance-id': 'id-2'}))


class RecorderTest(testtools.TestCase):

    class Failing:
        def deserialize_entity(self, ctxt, entity):
            if entity == 'bad':
                raise ValueError('cannot decrypt')
            return entity

    def test_records_values_and_failures(self):
        recorder = service.Recorder(self.Failing())
        self.assertEqual('ok', recorder.deserialize_entity(None, 'ok'))
        self.assertRaises(ValueError, recorder.deserialize_entity, None,
                          'bad')
        self.assertEqual(['ok'], recorder.received)
        self.assertEqual(["ValueError('cannot decrypt')"], recorder.failures)
