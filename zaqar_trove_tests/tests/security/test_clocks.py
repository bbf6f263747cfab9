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


"""ISO-5: a guest whose clock is off neither drops nor runs calls wrongly.

A guest is a tenant's VM: its clock may be an hour off (or set so on
purpose). Guest g3 runs in a process under ``faketime`` (Debian's
libfaketime), its wall clock an hour ahead or behind: the control plane's
calls must reach it as usual, and a call whose caller gave up before g3
read it must not run, whatever g3's clock says. Deadlines are judged from
Zaqar's age of the request, not from any wall clock.
"""

import fixtures
import oslo_messaging as om
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.common.rpc import harness
from zaqar_trove_tests.common.rpc import process as rpc_process
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.tests.security import base

#: Timeout (s) of the call that is given up before g3 reads it.
SHORT = 2


class ClocksContract(base.HostileGuestTest):

    def skewed_guest(self, clock, start=True):
        """Guest g3 (signed URLs only) with its clock ``clock`` off.

        :returns: ``(target, fixture or None, client to g3 by name)``.
        """
        target = om.Target(topic=self.topic('guestagent'), server='g3')
        directory = self.useFixture(fixtures.TempDir()).path
        url, _ = rpc_guests.signed_guest_url(self.control, self.url, target,
                                             directory)
        process = rpc_process.ServerProcess(url, target.topic, 'g3',
                                            clock=clock)
        if start:
            self.useFixture(process)
        client = self.client(self.control, target.topic,
                             timeout=base.CALL_TIMEOUT).prepare(server='g3')
        return target, process, client

    def assert_answers(self, client):
        value = data_utils.rand_name('skewed')
        self.assertEqual({'server': 'g3', 'value': value},
                         client.call({}, 'echo', value=value))

    def _check_skewed_guest_serves(self, clock):
        """Calls reach a guest whose clock is ``clock`` off."""
        _, _, client = self.skewed_guest(clock)
        for _ in range(3):
            self.assert_answers(client)
        self.assert_victim_served()

    def _check_given_up_call_never_runs(self):
        """A call older than its timeout never runs on a guest behind.

        The control plane calls g3 before g3 runs and gives up after
        ``SHORT`` s; once Zaqar counts the request older than that, g3
        starts with its clock an hour behind (a deadline carried in wall
        time would look an hour away to it): the request is dropped,
        later calls run. (Guards a property that held before the driver
        was hardened: it checked Zaqar's age as well as the deadline.)
        """
        target, process, client = self.skewed_guest('-1h', start=False)
        value = data_utils.rand_name('given-up')
        self.assertRaises(om.MessagingTimeout,
                          client.prepare(timeout=SHORT).call, {}, 'echo',
                          value=value)
        queue = rpc_guests.server_queues(self.control, target)['pop']

        def aged():
            return [m for m in resources.list_all_messages(self.zaqar, queue)
                    if m['age'] > SHORT]

        waiters.wait_until(aged, base.CALL_TIMEOUT,
                           what='the given-up request older than its '
                                'timeout')
        self.useFixture(process)
        self.assert_answers(client)
        harness.never(lambda: 'BEGIN echo %s' % value in process.lines,
                      base.WRONG_WINDOW, 'the given-up call executed')


class ClocksPushTest(ClocksContract):
    delivery = 'push'

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('ceacc45d-c85a-4388-9bec-f8fb46d0878d')
    def test_guest_clock_an_hour_ahead(self):
        self._check_skewed_guest_serves('+1h')

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('df4f3bdc-057a-487e-b4ea-a6db8366057e')
    def test_guest_clock_an_hour_behind(self):
        self._check_skewed_guest_serves('-1h')

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('045d8e6a-3fbf-4a0e-8270-280b98ac89ac')
    def test_given_up_call_never_runs(self):
        self._check_given_up_call_never_runs()


class ClocksPollTest(ClocksContract):
    delivery = 'poll'

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('fa50bbb9-bc9f-4c06-bb54-1f567b1391ad')
    def test_guest_clock_an_hour_ahead(self):
        self._check_skewed_guest_serves('+1h')

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('3516cc6e-4fad-41dd-a0db-64a9e1b14072')
    def test_guest_clock_an_hour_behind(self):
        self._check_skewed_guest_serves('-1h')

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('dbfa2db5-a492-4b6c-9b16-b6f136c4cca1')
    def test_given_up_call_never_runs(self):
        self._check_given_up_call_never_runs()
