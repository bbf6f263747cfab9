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


"""ISO-5 on RabbitMQ, the control: what a guest holding its config can do.

Every Trove guest's ``transport_url`` holds the RabbitMQ credentials the
whole deployment shares. With them a guest reads any queue of the vhost
and publishes anywhere: it takes another guest's call and answers it.
That is the expected outcome on RabbitMQ, asserted as such: if it ever
stopped working, the README's threat model would be wrong. oslo's
RabbitMQ caller survives junk in its reply queue, as the ``zaqar://``
driver must (``test_hostile_replies``).
"""

import concurrent.futures
import json
import uuid

import oslo_messaging as om
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common.faults import inputs as fault_inputs
from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.rpc import base as rpc_base

CALL_TIMEOUT = 30


class RabbitGuestTest(rpc_base.RabbitMixin, rpc_base.RpcTest):
    """A control plane, guest g1's queues, and a guest holding the URL."""

    def setUp(self):
        super().setUp()
        self.pool = concurrent.futures.ThreadPoolExecutor(2)
        self.addCleanup(self.pool.shutdown)
        self.target = om.Target(topic=self.topic('guestagent'), server='g1')
        self.victim = rpc_endpoints.Recorder('g1')
        # g1 declares its queues, then is away: its calls wait there.
        self.server(self.transport(), self.target, self.victim).stop()
        self.client = om.get_rpc_client(self.transport(), self.target,
                                        timeout=CALL_TIMEOUT)

    def take_one(self, queue):
        """What a guest reads off ``queue``: the oslo message (a dict)."""
        import kombu

        taken = []
        url = self.transport_url().replace('rabbit://', 'amqp://', 1)
        with kombu.Connection(url) as conn:
            consumer = conn.Consumer(
                kombu.Queue(queue, no_declare=True), accept=['json'],
                callbacks=[lambda body, message: (taken.append(body),
                                                  message.ack())])
            with consumer:
                waiters.wait_until(
                    lambda: taken or self.drain(conn), CALL_TIMEOUT,
                    interval=0, what='a request taken off %s' % queue)
        body = taken[0]
        return json.loads(body['oslo.message'])

    @staticmethod
    def drain(conn):
        try:
            conn.drain_events(timeout=0.5)
        except TimeoutError:
            pass
        return False

    def publish(self, queue, bodies):
        """Publish raw ``bodies`` (text) to ``queue`` (default exchange)."""
        fault_inputs.publish_rabbit(self.transport_url(), queue, bodies,
                                    exchange='')

    def forged_reply(self, request, result):
        return fault_inputs.rabbit_body({
            'result': result, 'failure': None, 'ending': True,
            '_msg_id': request['_msg_id'], '_unique_id': uuid.uuid4().hex})

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('910ad668-1124-4097-a723-c822792711ec')
    def test_a_guest_takes_another_guests_call_and_answers_it(self):
        """The expected outcome on RabbitMQ: the attack works."""
        value = data_utils.rand_name('for-g1')
        future = self.pool.submit(self.client.call, {}, 'echo', value=value)
        request = self.take_one('%s.%s' % (self.target.topic, 'g1'))
        self.assertEqual({'value': value}, request['args'])
        forged = {'server': 'g1', 'value': 'forged by another guest'}
        self.publish(request['_reply_q'], [self.forged_reply(request,
                                                             forged)])
        self.assertEqual(forged, future.result(CALL_TIMEOUT))
        self.assertEqual([], self.victim.values('echo'))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('60e5360a-2e49-40ce-9576-72be7dccd3fb')
    def test_junk_in_the_reply_queue_harms_no_call(self):
        """oslo's RabbitMQ caller drops junk and goes on (control)."""
        value = data_utils.rand_name('for-g1')
        future = self.pool.submit(self.client.call, {}, 'echo', value=value)
        request = self.take_one('%s.%s' % (self.target.topic, 'g1'))
        junk = [body for _, body in fault_inputs.rabbit_junk()] + [
            fault_inputs.rabbit_body({'_msg_id': ['x'], 'result': 1}),
            fault_inputs.rabbit_body({'_msg_id': {'x': 1}, 'ending': []}),
            fault_inputs.rabbit_body(['not', 'an', 'object'])]
        self.publish(request['_reply_q'], junk + [
            self.forged_reply(request, 'answered after the junk')])
        self.assertEqual('answered after the junk',
                         future.result(CALL_TIMEOUT))
        server = self.server(self.transport(), self.target, self.victim)
        self.assertEqual({'server': 'g1', 'value': value},
                         self.client.call({}, 'echo', value=value))
        server.stop()
