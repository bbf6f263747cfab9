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


"""A cast posted twice runs once across the servers of its topic.

A client that hears a 5xx, no answer, or a dropped connection after
Zaqar stored its post cannot tell whether the post was stored: it posts
again, and the topic queue may hold two copies. Two servers of the topic
each claim one. The caster here reaches Zaqar through the fault proxy
(``common.faults.proxy``, a process on loopback) that forwards each post
and then answers 503, stalls until the client times out, or drops the
connection; the servers reach Zaqar directly. Every cast must run once,
on one server. (Before the driver was hardened, each server remembered
only the ids it had seen itself: the copy the other server claimed ran
twice.) The window of the check is in ``rpc.dedupe``.
"""

import oslo_messaging as om
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common.faults import proxy as fault_proxy
from zaqar_trove_tests.common.rpc import endpoints as rpc_endpoints
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import dedupe
from zaqar_trove_tests.tests.security import base

#: Casts per test, each posted twice.
CASTS = 6
WAIT = 60


class RetriedPostsContract(base.DeliveryTest):

    def setUp(self):
        super().setUp()
        url = self.primary_url()
        topic = self.topic('twice')
        self.servers = [rpc_endpoints.Recorder(name) for name in ('a', 'b')]
        for endpoint in self.servers:
            self.server(self.transport(url),
                        om.Target(topic=topic, server=endpoint.name),
                        endpoint)
        self.proxy = self.useFixture(fault_proxy.FaultProxy(
            *rpc_urls.zaqar_host(url)))
        caster = self.transport(rpc_urls.via(
            url, self.proxy.host, self.proxy.port, http_timeout=2,
            retry_interval=0.05))
        self.caster = self.client(caster, topic)
        self.window = (2 * rpc_guests.driver(caster).settings.poll_max_interval
                       + dedupe.MARGIN)

    def runs(self, value):
        return sum(s.values('note').count(value) for s in self.servers)

    def _check_posted_twice(self, action):
        values = [data_utils.rand_name('twice') for _ in range(CASTS)]
        for value in values:
            self.proxy.add_rule('POST', r'/messages$', action, seconds=5)
            self.caster.cast({}, 'note', value=value)
        faults = sum(self.proxy.stats()['faults'].values())
        self.assertEqual(CASTS, faults)
        waiters.wait_until(lambda: all(self.runs(v) for v in values), WAIT,
                           what='every cast run')
        harness.never(lambda: [v for v in values if self.runs(v) > 1],
                      self.window + 2, 'a cast posted twice ran twice')
        self.assertEqual([1] * CASTS, [self.runs(v) for v in values])


class RetriedPostsPushTest(RetriedPostsContract):
    delivery = 'push'

    @decorators.idempotent_id('92003580-31ca-4101-8543-c942e99bba79')
    def test_posted_again_after_a_5xx(self):
        self._check_posted_twice('status')

    @decorators.idempotent_id('90a55d9b-6ce4-41ef-97d5-7254ce158ed1')
    def test_posted_again_after_no_answer(self):
        self._check_posted_twice('stall')

    @decorators.idempotent_id('9a71240b-e487-4230-9e4e-6ab7eb7fa603')
    def test_posted_again_after_a_dropped_connection(self):
        self._check_posted_twice('drop')


class RetriedPostsPollTest(RetriedPostsContract):
    delivery = 'poll'

    @decorators.idempotent_id('ddfe9810-faf5-4c4e-9b73-b259cc5421dc')
    def test_posted_again_after_a_5xx(self):
        self._check_posted_twice('status')

    @decorators.idempotent_id('92cf713d-88f5-4dfb-8315-ad2ba31369c8')
    def test_posted_again_after_no_answer(self):
        self._check_posted_twice('stall')

    @decorators.idempotent_id('1ed6171c-a6c1-441d-9f88-939bab25ef14')
    def test_posted_again_after_a_dropped_connection(self):
        self._check_posted_twice('drop')
