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

"""TRV-1 across nodes: guest stand-ins running elsewhere (multinode job).

The devstack service ``ztt-guest`` (``python -m zaqar_trove_tests.guest``)
serves ``[zaqar_trove] remote_guest_ids`` on another node, with the
guests' identity in the transport project; Zaqar runs on this node.
"""

from tempest import config
from tempest.lib import decorators

from zaqar_trove_tests.tests.scenario import base

CONF = config.CONF


class RemoteGuestTest(base.TroveScenarioTest):
    """Trove's guest API drives stand-ins on another node over Zaqar.

    Class steps:

    1. Trove's control plane on ``[zaqar_trove] zaqar_transport_url`` as
       configured (the transport project the remote stand-ins use),
       secure RPC off (the stand-ins hold no instance keys), its
       conductor.
    2. Instance records with the remote guests' ids.

    Remote stand-ins keep their state between runs: tests use fresh
    names and assert membership.
    """

    transport = 'zaqar'
    own_project = False
    trove_options = {'enable_secure_rpc_messaging': False}
    #: Trove's default, which the remote stand-ins report to.
    conductor_queue = 'trove-conductor'

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove.remote_guest_ids:
            raise cls.skipException(
                '[zaqar_trove] remote_guest_ids is empty: no remote guests')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.instance_ids = [cls.control.create_instance(instance_id)
                            for instance_id in
                            CONF.zaqar_trove.remote_guest_ids]

    @decorators.idempotent_id('682e612e-fbd1-4f31-b42d-3490ad26c1ab')
    def test_remote_guests_answer_calls(self):
        """Calls reach each remote guest and its answers come back.

        For each remote guest: rpc_ping is True; get_volume_info holds
        the volume figures; get_root_password raises GuestError (the
        guest's exception crossed the network).
        """
        for instance_id in self.instance_ids:
            api = self.control.guest_api(instance_id)
            self.assertIs(True, api.rpc_ping())
            self.assertIn('total', api.get_volume_info())
            self.assertRaises(self.trove.exception.GuestError,
                              api.get_root_password)

    @decorators.idempotent_id('bf15b902-0f58-450f-9a78-5a4946dee954')
    def test_remote_guests_casts_and_heartbeats(self):
        """Casts reach each remote guest; its heartbeats reach Trove.

        For each remote guest:

        1. create_database cast; list_databases then shows it.
        2. stop_db: its heartbeat makes the instance SHUTDOWN in Trove's
           database (Trove's conductor on this node); restart: HEALTHY.
        """
        for instance_id in self.instance_ids:
            base.check_database_and_restart(
                self.control, self.trove, instance_id, 'remote guest ')
