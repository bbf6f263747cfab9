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


"""FLT: bad input at every layer, posted raw into a running server's queues.

Each test surrounds bad messages with good ones (``note`` casts) in one
batch and checks: every bad message gets the documented error or is
logged and removed, none runs an endpoint (each asks for a ledger key
``bad-<name>``), every good one runs exactly once, and the server still
answers a call afterwards. Layers (``common.faults.inputs``):

- HTTP: Zaqar refuses a body that is not JSON, a message without body
  and a batch over ``max_messages_post_size`` with 400; nothing is stored.
- Envelope (``zaqar://``): a body that is not an envelope, another
  envelope version or kind, missing or mistyped fields, a call without
  reply queue, grant or reply key: the listener logs "Dropped a malformed
  or foreign message" and the message leaves the queue (topic and server
  queues); on the fanout queue, which servers only observe, it is logged
  and skipped. (Calls older than their timeout, hostile guests:
  ``tests/security``.)
- oslo: well-formed requests for an unknown method or version, without
  method, or with arguments that are not an object: oslo's dispatcher
  refuses them (logged by ``oslo_messaging.rpc.server``). Mirrored on
  RabbitMQ, with its own junk (not JSON, not an oslo envelope).
- Replies: junk and replies to unknown calls in a caller's reply queue
  are dropped; the caller still gets its own reply.
- Size: a request over ``max_message_size`` fails before anything is
  sent; a reply over it reaches the caller as an error, at once.

The driver and the REST clients act as the class's primary project.
"""

import concurrent.futures

import oslo_messaging as om
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common.faults import inputs as fault_inputs
from zaqar_trove_tests.common.faults import ledgers
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.tests.faults import base
from zaqar_trove_tests.tests.rpc import base as rpc_base

CONF = config.CONF
WAIT = 60
TTL = 300
DROPPED = 'Dropped a malformed or foreign message'
DISPATCH_ERROR = 'Exception during message handling'


class BlowingEndpoint(ledgers.LedgerEndpoint):
    """Adds ``blow``: a reply of ``size`` characters."""

    def blow(self, ctxt, key, size):
        self.ledger.executed(key, self.name)
        return 'x' * size


class BadInputContract(base.FaultTest):
    """One server (``bad``) of a fresh topic, a ledger, a client."""

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(ledgers.LogRecorder('zaqar_trove_tests'))
        self.oslo_log = self.useFixture(ledgers.LogRecorder(
            'oslo_messaging.rpc.server'))
        self.ledger = ledgers.Ledger()
        self.topic_name = self.topic('bad')
        self.target = om.Target(topic=self.topic_name, server='bad')
        self.server_transport = self.transport(self.driver_url())
        self.server(self.server_transport, self.target,
                    BlowingEndpoint(self.ledger, 'bad'))
        self.rpc_client = self.client(self.transport(self.driver_url()),
                                      self.topic_name, timeout=30)
        self.assert_serving()

    def driver_url(self):
        return self.transport_url()

    def assert_serving(self):
        key = data_utils.rand_name('alive')
        self.ledger.sending(key, 'call')
        self.assertEqual(key, self.rpc_client.call({}, 'echo', key=key))

    def goods(self, count, tag):
        keys = ['good-%s-%d' % (tag, n) for n in range(count)]
        for key in keys:
            self.ledger.sending(key)
            self.ledger.acked(key)
        return keys

    def assert_outcome(self, goods, bad_keys):
        """Goods ran once each, bad keys never; the server still serves."""
        waiters.wait_until(
            lambda: all(self.ledger.executions(k) for k in goods), WAIT,
            interval=0.1, what='the good messages executed')
        self.assert_serving()
        self.assertEqual({}, self.ledger.duplicated())
        self.assertEqual([], [k for k in bad_keys
                              if self.ledger.executions(k)],
                         'bad messages executed')


class BadInputZaqarTest(rpc_base.ZaqarMixin, BadInputContract):

    credentials = ['primary']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.zaqar = clients.ZaqarClients(cls.os_primary)

    def driver_url(self):
        return self.primary_url()

    def queue(self, mode):
        """The server's queue read in ``mode``: pop, claim or observe."""
        return rpc_guests.server_queues(self.server_transport,
                                        self.target)[mode]

    def post(self, queue, bodies):
        """Post ``bodies`` in one batch; the ids Zaqar gave them."""
        return resources.post(self.zaqar, queue, bodies, ttl=TTL)

    def wait_removed(self, queue, ids):
        """Wait until no message of ``ids`` is left, claimed or not.

        (By id: stats and claimed listings hit known Zaqar defects.)
        """
        def removed():
            # Zaqar shows at most 20 ids at once.
            for start in range(0, len(ids), 20):
                try:
                    self.zaqar.messages.show_messages(queue,
                                                      ids[start:start + 20])
                    return False
                except lib_exc.NotFound:
                    pass
            return True
        waiters.wait_until(removed, WAIT, interval=0.2,
                           what='messages removed from %s' % queue)

    def dropped(self, queue):
        return [m for m in self.log.messages(DROPPED) if queue in m]

    def _check_malformed(self, mode):
        queue = self.queue(mode)
        malformed = fault_inputs.zaqar_malformed()
        goods = self.goods(2, mode)
        ids = self.post(queue, [fault_inputs.good_cast(goods[0])] +
                        [body for _, body in malformed] +
                        [fault_inputs.good_cast(goods[1])])
        self.assert_outcome(goods, fault_inputs.bad_keys(malformed))
        waiters.wait_until(
            lambda: len(self.dropped(queue)) >= len(malformed),
            WAIT, interval=0.1, what='every malformed message logged')
        self.assertEqual(len(malformed), len(self.dropped(queue)))
        self.wait_removed(queue, ids)

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('a01dcb11-677a-4931-b324-30a002ed025e')
    def test_malformed_envelopes_in_the_topic_queue(self):
        self._check_malformed('claim')

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('1eb3f211-32e8-40f5-9c41-ae29edfdfe40')
    def test_malformed_envelopes_in_the_server_queue(self):
        self._check_malformed('pop')

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('0b0edfb1-1d46-49dc-a9ec-a2dfdaca2785')
    def test_malformed_envelopes_in_the_fanout_queue(self):
        queue = self.queue('observe')
        malformed = fault_inputs.zaqar_malformed()
        goods = self.goods(2, 'fanout')
        self.post(queue, [fault_inputs.good_cast(goods[0])] +
                  [body for _, body in malformed] +
                  [fault_inputs.good_cast(goods[1])])
        self.assert_outcome(goods, fault_inputs.bad_keys(malformed))
        waiters.wait_until(
            lambda: len(self.dropped(queue)) >= len(malformed),
            WAIT, interval=0.1, what='every malformed message logged')
        # Observers remove nothing: the fanout TTL does. Each is logged
        # once, not at every read.
        self.rpc_client.prepare(fanout=True).cast(
            {}, 'note', key=self.goods(1, 'fanout-after')[0])
        self.assert_outcome(['good-fanout-after-0'], [])
        self.assertEqual(len(malformed), len(self.dropped(queue)))

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('a22acb89-9fee-46f5-ab72-782ce225e73b')
    def test_http_layer_refusals(self):
        queue = self.queue('claim')
        messages = self.zaqar.messages
        url = messages.url('queues', queue, 'messages')
        goods = self.goods(3, 'http')
        ids = self.post(queue, [fault_inputs.good_cast(goods[0])])
        self.assertRaises(lib_exc.BadRequest, messages.post, url,
                          'not json {')
        self.assertRaises(lib_exc.BadRequest, messages.post_messages,
                          queue, [{'ttl': TTL}])
        ids += self.post(queue, [fault_inputs.good_cast(goods[1])])
        size = CONF.zaqar_trove.max_messages_post_size
        self.assertRaises(lib_exc.BadRequest, messages.post_messages, queue,
                          [{'body': fault_inputs.good_cast('bad-huge-1'),
                            'ttl': TTL},
                           {'body': {'pad': 'x' * size}, 'ttl': TTL}])
        ids += self.post(queue, [fault_inputs.good_cast(goods[2])])
        self.assert_outcome(goods, ['bad-huge-1'])
        self.assertEqual([], self.log.messages(DROPPED))
        self.wait_removed(queue, ids)

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('58726206-d83f-4085-81d3-eb8eb198e056')
    def test_requests_the_dispatcher_refuses(self):
        refused = fault_inputs.oslo_refused()
        goods = self.goods(2, 'oslo')
        self.post(self.queue('claim'), [fault_inputs.good_cast(goods[0])] +
                  [envelope.cast({}, message) for _, message in refused] +
                  [fault_inputs.good_cast(goods[1])])
        self.assert_outcome(goods, fault_inputs.bad_keys(refused))
        waiters.wait_until(
            lambda: len(self.oslo_log.messages(DISPATCH_ERROR)) >=
            len(refused), WAIT, interval=0.1,
            what="the dispatcher's refusals logged")

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('c095d704-b8c1-4b4d-bac8-0d04968097c1')
    def test_junk_in_the_reply_queue(self):
        holder = rpc_endpoints.Recorder('holder')
        topic = self.topic('hold')
        self.server(self.transport(self.driver_url()),
                    om.Target(topic=topic, server='holder'), holder)
        before = self.reply_queues()
        caller = self.client(self.transport(self.driver_url()), topic,
                             timeout=60)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            answer = pool.submit(caller.call, {}, 'hold', value='mine')
            waiters.wait_until(lambda: holder.values('hold'), WAIT,
                               interval=0.1, what='the call held')
            reply_queues = self.reply_queues() - before
            self.assertEqual(1, len(reply_queues))
            reply_queue = reply_queues.pop()
            self.post(reply_queue, [body for _, body in
                                    fault_inputs.zaqar_malformed()[:5]] + [
                envelope.reply({'mid': envelope.new_id(),
                                'rk': envelope.new_id()}, result='forged'),
                envelope.cast({}, fault_inputs.note('bad-cast-reply'))])
            waiters.wait_until(
                lambda: self.dropped(reply_queue), WAIT, interval=0.1,
                what='junk in the reply queue logged')
            holder.release()
            self.assertEqual({'server': 'holder', 'value': 'mine'},
                             answer.result(WAIT))
        self.assertEqual('again', caller.call({}, 'echo',
                                              value='again')['value'])

    def reply_queues(self):
        """Names of the reply queues of the primary project."""
        names, marker = set(), None
        while True:
            page = self.zaqar.queues.list_queues(limit=20, marker=marker)
            queues = page.get('queues') or []
            names.update(q['name'] for q in queues
                         if rpc_guests.queue_kind(q['name']) == 'r')
            if len(queues) < 20:
                return names
            marker = queues[-1]['name']

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('9b7384b1-1f9d-4d47-97b7-025e45979fd1')
    def test_oversized_requests_and_replies(self):
        size = CONF.zaqar_trove.max_messages_post_size
        self.assertRaises(om.MessageDeliveryFailure, self.rpc_client.cast,
                          {}, 'note', key='bad-huge', pad='x' * size)
        self.ledger.sending('huge-reply', 'call')
        error = self.assertRaises(om.MessagingException,
                                  self.rpc_client.call, {}, 'blow',
                                  key='huge-reply', size=size)
        self.assertIn('MessageDeliveryFailure', '%s %s' % (
            type(error).__name__, getattr(error, 'exc_type', '')))
        self.assertIn('max_message_size', str(error))
        self.assert_outcome(['huge-reply'], ['bad-huge'])


class BadInputRabbitTest(rpc_base.RabbitMixin, BadInputContract):

    @decorators.attr(type=['faults', 'negative'])
    @decorators.idempotent_id('84e074d4-7d7d-40a2-80f0-e884075211f8')
    def test_junk_in_the_topic_queue(self):
        junk = fault_inputs.rabbit_junk()
        goods = self.goods(2, 'rabbit')
        fault_inputs.publish_rabbit(
            self.transport_url(), self.topic_name,
            [fault_inputs.rabbit_body(fault_inputs.note(goods[0]))] +
            [body for _, body in junk] +
            [fault_inputs.rabbit_body(fault_inputs.note(goods[1]))])
        self.assert_outcome(goods, fault_inputs.bad_keys(junk))
