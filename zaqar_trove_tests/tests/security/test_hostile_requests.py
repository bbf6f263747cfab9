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


"""ISO-5: a guest writing to the conductor's topic harms nobody else.

A guest may post to the conductor's topic (Trove's guests cast
heartbeats and results there). With that grant g2 posts malformed,
nested and oversized requests, and calls crafted to make the conductor
write somewhere g2 cannot (a confused deputy). The conductor must run
g2's good requests once each, write nowhere it was not asked to by a
grant, and go on serving g1 and the control plane.
"""

from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common.faults import hostile
from zaqar_trove_tests.common.faults import inputs as fault_inputs
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.tests.security import base

#: Casts whose id is an object: the driver once raised out of its poll
#: for each, and oslo pauses its listener a second after every such error.
REPEATED = 60
#: Seconds the conductor may take for each message posted with the good
#: ones (a claim and a delete on the Zaqar all tests share): how fast it
#: drains is the machine's speed, which the benchmark judges, not this
#: contract (a flat 30 s failed CI twice; the unit tests of
#: ``fairness`` hold the driver to a claim a junk message).
PER_MESSAGE = 0.1


def _note(value):
    return {'method': 'note', 'args': {'value': value}}


class HostileRequestsContract(base.HostileGuestTest):

    def post_to_conductor(self, bodies):
        grant = self.thief_grant(self.conductor_queue, 'POST')
        self.post_as_thief(self.conductor_queue, grant, bodies)

    def good_casts(self, count):
        """``(values, bodies)`` of casts g2 may rightly send."""
        values = [data_utils.rand_name('g2-good') for _ in range(count)]
        return values, [envelope.cast({}, _note(v)) for v in values]

    def assert_ran_once(self, values, posted=0):
        """Each of ``values`` run once, ``posted`` messages posted in all."""
        waiters.wait_until(
            lambda: set(values) <= set(self.conductor.values('note')),
            base.CALL_TIMEOUT + posted * PER_MESSAGE,
            what="g2's good casts run by the conductor")
        notes = self.conductor.values('note')
        self.assertEqual({v: 1 for v in values},
                         {v: notes.count(v) for v in values})

    def _check_malformed_requests(self):
        """Malformed requests cost the conductor nothing but themselves.

        Every field of a call and of a cast with every wrong type, bodies
        that are no envelope, and a run of casts whose id is an object,
        between g2's good casts: each good one runs once (within the call
        timeout and ``PER_MESSAGE`` a message posted), and the conductor
        goes on serving.
        """
        values, goods = self.good_casts(3)
        call = envelope.call({}, _note('bad-call'), envelope.new_id(),
                             envelope.new_id(),
                             fault_inputs.any_reply_queue(),
                             fault_inputs.SHAPED_GRANT, 30)
        cast = envelope.cast({}, _note('bad-cast'))
        bad = [body for _, body in hostile.mistyped(call) +
               hostile.mistyped(cast) + hostile.foreign()]
        repeated = [dict(cast, id={'n': n}) for n in range(REPEATED)]
        bodies = goods[:1] + bad + goods[1:2] + repeated + goods[2:]
        self.post_to_conductor(bodies)
        self.assert_ran_once(values, len(bodies))
        self.assert_victim_served()

    def _check_nested_and_large_requests(self):
        """Nested and oversized requests run once or are dropped.

        A cast whose context is nested as deep as Zaqar stores, one at
        Zaqar's size limit, and bodies that are only nesting.
        """
        values, goods = self.good_casts(2)
        deep = hostile.deep(base.DEPTH)
        nested = envelope.cast({'deep': deep}, _note(values[0]))
        pad = 'p' * (base.CONF.zaqar_trove.max_messages_post_size - 2048)
        large = envelope.cast({'pad': pad}, _note(values[1]))
        self.post_to_conductor([nested, deep, {'v': deep}])
        self.post_to_conductor([large])
        self.assert_ran_once(values)
        self.assert_victim_served()

    def _check_confused_deputy(self):
        """A request cannot make the conductor write where g2 cannot.

        g2 sends the conductor calls naming a queue of the control plane
        that is no reply queue; naming the control plane's reply queue
        without a grant, with a grant of another queue, and with its own
        reply grant and the msg_id of g1's call in flight: the conductor
        writes nowhere but to that reply queue with that grant, and g1's
        caller still gets g1's real answer.
        """
        victim, value = self.held_victim_call()
        thief, own = self.received_call()
        mid = [m for m in self.in_flight() if m != own['mid']][0]
        elsewhere = names.server_queue('om', 'openstack',
                                       self.topic('elsewhere'), 'x')
        other_grant = self.thief_grant(self.thief_queue, 'POST')

        def deputy(**changes):
            body = envelope.call({}, {'method': 'echo',
                                      'args': {'value': 'deputy'}},
                                 mid, envelope.new_id(), own['rq'],
                                 own['rg'], 30)
            body.update(changes)
            return {k: v for k, v in body.items() if v is not None}

        self.post_to_conductor([deputy(rq=elsewhere), deputy(rg=None),
                                deputy(rg=other_grant), deputy()])
        waiters.wait_until(
            lambda: self.conductor.values('echo').count('deputy') >= 2,
            base.CALL_TIMEOUT, what='the valid deputy calls executed')
        harness.never(victim.done, base.WRONG_WINDOW,
                      'the victim call ended before g1 answered')
        self.victim.release()
        self.assertEqual({'server': 'g1', 'value': value},
                         victim.result(base.CALL_TIMEOUT))
        self.assertEqual([], resources.list_all_messages(self.zaqar,
                                                         elsewhere))
        self.answer_with_grant(own, 'from g2')
        self.assertEqual('from g2', thief.result(base.CALL_TIMEOUT))
        self.assert_victim_served()


class HostileRequestsPushTest(HostileRequestsContract):
    delivery = 'push'

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('0f20adce-3168-4eff-bb3e-24f52f67de27')
    def test_malformed_requests(self):
        self._check_malformed_requests()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('7ceea0b1-54eb-47e3-9d3c-b6de91501178')
    def test_nested_and_large_requests(self):
        self._check_nested_and_large_requests()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('e99dd724-2334-402b-a502-41db988bc126')
    def test_confused_deputy(self):
        self._check_confused_deputy()


class HostileRequestsPollTest(HostileRequestsContract):
    delivery = 'poll'

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('217d5131-c5b6-4e30-967d-5ea575030c3b')
    def test_malformed_requests(self):
        self._check_malformed_requests()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('deb11726-1f73-4a79-90ed-433b79f47f07')
    def test_nested_and_large_requests(self):
        self._check_nested_and_large_requests()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('37c76d13-0bcf-4401-bb9d-caad2e55436f')
    def test_confused_deputy(self):
        self._check_confused_deputy()
