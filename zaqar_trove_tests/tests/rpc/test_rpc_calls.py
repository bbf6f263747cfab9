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


"""RPC-1, RPC-3, RPC-4: what a call brings back.

RPC-1 the endpoint's value comes back whole: nested structures, unicode,
and a payload near Zaqar's message size limit (sent and returned).
RPC-3 remote exceptions: builtins and the allowed module's are re-raised
with their type, any other is an ``oslo_messaging.RemoteError`` naming it.
RPC-4 many threads calling at once each get their own reply.

One transport and two servers of one topic serve each class.
"""

import oslo_messaging as om
from tempest import config
from tempest.lib import decorators

from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import errors as rpc_errors
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.tests.rpc import base

CONF = config.CONF

#: Room left under Zaqar's post size for the envelope and the request.
SIZE_MARGIN = 8192
CALL_THREADS = 10
CALLS_PER_THREAD = 10

NESTED = {
    'list': [1, -2, 2.5, None, True, False, 'x', [], {}],
    'deep': {'a': {'b': {'c': {'d': [[['bottom']]]}}}},
    'big_int': 2 ** 53,
    'records': [{'id': n, 'tags': ['t%d' % n] * n} for n in range(5)],
}

UNICODE = {
    'ключ': 'значение',
    'mixed': 'ünïcödé – 漢字 – العربية – 🚀 – tab\t newline\n quote" \\',
    'nul': 'a\u0000b',
    '🔑': ['é', 'ß', '€', '𝄞'],
}


class CallsContract(base.RpcTest):

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.topic_name = cls.topic('calls')
        transport = cls.class_fixture(harness.Transport(
            cls.transport_url())).transport
        cls.endpoints = [rpc_endpoints.Recorder(name)
                         for name in ('s1', 's2')]
        for endpoint in cls.endpoints:
            cls.class_fixture(harness.Server(transport, om.Target(
                topic=cls.topic_name, server=endpoint.name), [endpoint]))
        cls.rpc_client = cls.client(transport, cls.topic_name, timeout=30)

    def _check_returns(self, value):
        answer = self.rpc_client.call({}, 'echo', value=value)
        self.assertIn(answer['server'], ('s1', 's2'))
        self.assertEqual(value, answer['value'])

    def _check_near_size_limit(self):
        size = CONF.zaqar_trove.max_messages_post_size - SIZE_MARGIN
        value = ''.join('%07d,' % n for n in range(size // 8))
        answer = self.rpc_client.call({}, 'echo', value=value)
        self.assertEqual(len(value), len(answer['value']))
        self.assertEqual(value, answer['value'])

    def _check_allowed_exceptions(self):
        error = self.assertRaises(ValueError, self.rpc_client.call, {},
                                  'fail', kind='builtin', message='bad value')
        self.assertIn('bad value', str(error))
        error = self.assertRaises(rpc_errors.AllowedError,
                                  self.rpc_client.call, {}, 'fail',
                                  kind='allowed', message='allowed: ü')
        self.assertIn('allowed: ü', str(error))

    def _check_other_exceptions(self):
        error = self.assertRaises(om.RemoteError, self.rpc_client.call, {},
                                  'fail', kind='unlisted',
                                  message='not for you: ü')
        self.assertEqual('UnlistedError', error.exc_type)
        self.assertIn('not for you: ü', error.value)
        self.assertNotIsInstance(error, rpc_endpoints.UnlistedError)

    def _check_concurrent_calls(self):
        values = ['%d-%d' % (t, n) for t in range(CALL_THREADS)
                  for n in range(CALLS_PER_THREAD)]

        def call_all(thread):
            return [self.rpc_client.call({}, 'echo', value=value)
                    for value in values[thread::CALL_THREADS]]

        answers = harness.run_concurrently(
            call_all, [(t,) for t in range(CALL_THREADS)], CALL_THREADS)
        for thread, thread_answers in enumerate(answers):
            self.assertEqual(values[thread::CALL_THREADS],
                             [a['value'] for a in thread_answers])
        executed = [v for e in self.endpoints for v in e.values('echo')
                    if v in values]
        self.assertEqual(sorted(values), sorted(executed))


class CallsZaqarTest(base.ZaqarMixin, CallsContract):

    @decorators.idempotent_id('a3d2ef29-95e0-4d0a-82c8-0884ffff17ce')
    def test_nested_result(self):
        self._check_returns(NESTED)

    @decorators.idempotent_id('9125e8af-0ef3-4b89-b406-b84987427852')
    def test_unicode_result(self):
        self._check_returns(UNICODE)

    @decorators.idempotent_id('8cb9a875-e934-4dab-8fe0-2c64bedaf879')
    def test_result_near_size_limit(self):
        self._check_near_size_limit()

    @decorators.idempotent_id('e4161360-67b3-4cb2-89d2-206c67e6c692')
    def test_allowed_exceptions_keep_their_type(self):
        self._check_allowed_exceptions()

    @decorators.idempotent_id('28682074-8f39-4265-881a-e6b00458ae33')
    def test_other_exceptions_are_remote_errors(self):
        self._check_other_exceptions()

    @decorators.idempotent_id('9dc17e56-80bb-4991-8bd7-fb0464d4221e')
    def test_concurrent_calls_get_their_own_replies(self):
        self._check_concurrent_calls()


class CallsZaqarPollTest(base.ZaqarPollMixin, CallsContract):

    @decorators.idempotent_id('b4537723-2ab8-4a20-8ebf-e8e7c0ca532d')
    def test_nested_result(self):
        self._check_returns(NESTED)

    @decorators.idempotent_id('7f2e923e-bbfc-4a83-b05f-7d594c33be78')
    def test_unicode_result(self):
        self._check_returns(UNICODE)

    @decorators.idempotent_id('ddc9912d-f99b-4b5c-9fc4-af37461e28c5')
    def test_result_near_size_limit(self):
        self._check_near_size_limit()

    @decorators.idempotent_id('5d8c6e04-6c2e-4429-8103-39d58e4a7926')
    def test_allowed_exceptions_keep_their_type(self):
        self._check_allowed_exceptions()

    @decorators.idempotent_id('ecef6929-fb29-43de-afc5-16fd2b2bf489')
    def test_other_exceptions_are_remote_errors(self):
        self._check_other_exceptions()

    @decorators.idempotent_id('13e5c144-795d-46a4-b9fa-ed971ccc51fa')
    def test_concurrent_calls_get_their_own_replies(self):
        self._check_concurrent_calls()


class CallsRabbitTest(base.RabbitMixin, CallsContract):

    @decorators.idempotent_id('ff57ebe8-9441-4b33-a8f9-fcd9656a9951')
    def test_nested_result(self):
        self._check_returns(NESTED)

    @decorators.idempotent_id('ef192b73-a54c-440a-aae2-e68e6cdb1d59')
    def test_unicode_result(self):
        self._check_returns(UNICODE)

    @decorators.idempotent_id('df909796-6757-4dc3-af87-5af5ec442299')
    def test_result_near_size_limit(self):
        self._check_near_size_limit()

    @decorators.idempotent_id('1ebdfa4d-6a99-4ff0-afe5-1854526b1161')
    def test_allowed_exceptions_keep_their_type(self):
        self._check_allowed_exceptions()

    @decorators.idempotent_id('9242b9f4-c8a5-4be6-98ea-1184cb17297b')
    def test_other_exceptions_are_remote_errors(self):
        self._check_other_exceptions()

    @decorators.idempotent_id('46119fec-b59e-4c24-aad6-9f3f9fb4c0bb')
    def test_concurrent_calls_get_their_own_replies(self):
        self._check_concurrent_calls()
