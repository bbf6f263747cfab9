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


"""RPC-7: version and namespace mismatches fail as oslo.messaging says.

The server's dispatcher raises ``UnsupportedVersion`` when no endpoint of
the requested namespace accepts the requested version, and
``NoSuchMethod`` when a compatible endpoint lacks the method (or the
access policy hides it); the caller sees a ``RemoteError`` of that type.
Compatible requests still reach the right endpoint.

Each class runs one server of two endpoints: the default namespace at
version 1.3 and namespace ``extra`` at version 2.1.
"""

import oslo_messaging as om
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.tests.rpc import base


class VersionsContract(base.RpcTest):

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        topic = cls.topic('versions')
        transport = cls.class_fixture(harness.Transport(
            cls.transport_url())).transport
        cls.plain = rpc_endpoints.VersionedRecorder('plain', version='1.3')
        cls.extra = rpc_endpoints.VersionedRecorder(
            'extra', namespace='extra', version='2.1')
        cls.class_fixture(harness.Server(transport, om.Target(
            topic=topic, server='versions'), [cls.plain, cls.extra]))
        cls.rpc_client = cls.client(transport, topic, timeout=30)

    def assert_fails(self, exc_type, method='echo', **prepare):
        value = data_utils.rand_name('refused')
        error = self.assertRaises(
            om.RemoteError, self.rpc_client.prepare(**prepare).call, {},
            method, value=value)
        self.assertEqual(exc_type, error.exc_type, error.value)
        self.assertNotIn(value, self.plain.values('echo') +
                         self.extra.values('echo'))
        return error

    def assert_reaches(self, endpoint, **prepare):
        value = data_utils.rand_name('accepted')
        answer = self.rpc_client.prepare(**prepare).call({}, 'echo',
                                                         value=value)
        self.assertEqual({'server': endpoint.name, 'value': value}, answer)

    def _check_versions(self):
        self.assert_reaches(self.plain, version='1.0')
        self.assert_reaches(self.plain, version='1.3')
        self.assert_reaches(self.extra, namespace='extra', version='2.1')
        for version in ('1.4', '2.0', '0.9'):
            error = self.assert_fails('UnsupportedVersion', version=version)
            self.assertIn(version, error.value)
        self.assert_fails('UnsupportedVersion', namespace='extra',
                          version='2.2')

    def _check_namespaces(self):
        self.assert_fails('UnsupportedVersion', namespace='missing',
                          version='1.0')
        self.assert_fails('UnsupportedVersion', namespace='extra',
                          version='1.3')
        self.assert_reaches(self.extra, namespace='extra', version='2.0')

    def _check_methods(self):
        error = self.assert_fails('NoSuchMethod', method='nonexistent',
                                  version='1.1')
        self.assertIn('nonexistent', error.value)
        self.assert_fails('NoSuchMethod', method='_private', version='1.1')
        self.assertEqual([], self.plain.values('_private'))


class VersionsZaqarTest(base.ZaqarMixin, VersionsContract):

    @decorators.idempotent_id('3fffff6f-fc00-4dbb-a3ee-08106a897a64')
    def test_version_mismatch_is_unsupported_version(self):
        self._check_versions()

    @decorators.idempotent_id('2ceffd35-8de6-4939-999b-cf9c16e7fba4')
    def test_namespace_mismatch_is_unsupported_version(self):
        self._check_namespaces()

    @decorators.idempotent_id('8d1e6edd-1ed5-4727-8b52-432717152ce0')
    def test_unknown_or_private_method_is_no_such_method(self):
        self._check_methods()


class VersionsRabbitTest(base.RabbitMixin, VersionsContract):

    @decorators.idempotent_id('8e12efdd-7246-4cc9-af85-53b184ef92c8')
    def test_version_mismatch_is_unsupported_version(self):
        self._check_versions()

    @decorators.idempotent_id('2eda66eb-6e35-4df4-aeb9-878564412648')
    def test_namespace_mismatch_is_unsupported_version(self):
        self._check_namespaces()

    @decorators.idempotent_id('1573987e-bcde-461d-82b6-52ad5662b01d')
    def test_unknown_or_private_method_is_no_such_method(self):
        self._check_methods()
