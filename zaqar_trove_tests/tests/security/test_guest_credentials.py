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

"""Per-guest credentials as the gate deploys them (ISO-4).

The devstack plugin gives each guest its own configuration with
``zaqar_trove_tests.rpc.provision`` (README, Findings
``trove-shared-guest-credentials``): a ``trove-guestagent.conf`` whose
``transport_url`` holds no keystone credentials, only the path of a file
of pre-signed URLs for that guest's queues and the conductor's topic.
This test provisions two guests with the same module, against the real
Keystone and Zaqar, and attacks one with what the other's rendered
configuration holds.
"""

import json
import os
import uuid

from oslo_config import cfg
import oslo_messaging as om
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import provision
from zaqar_trove_tests.rpc import settings
from zaqar_trove_tests.tests.rpc import base as rpc_base

CONF = config.CONF


class GuestCredentialsTest(rpc_base.SignedControlTest):
    """Guest A's deployed credentials open none of guest B's queues.

    Steps:

    1. The control plane (keystone credentials of the primary project, as
       ``trove-rpc`` in devstack) provisions guests A and B with
       ``rpc.provision`` and the files are written as the plugin writes
       them (``<dir>/<id>/trove-guestagent.conf``, ``zaqar-grants.json``).
    2. A's ``transport_url`` is read from A's file with oslo.config and
       parsed by the driver: signed, no keystone credentials; its grants
       file is loaded.
    3. B's server and topic queues hold requests, one of them claimed
       (as Trove's taskmanager and B would leave them).
    4. With each of A's grants, on B's queues: list, claim, pop, stats,
       post, get and delete by id, show and release B's claim are all
       refused (404).
    5. B's queues are intact (messages, claim, counts); B's own grant
       lists them.
    6. A's grants work on A's own queue (post, list, claim, delete) and
       post to the conductor's topic.
    """

    def setUp(self):
        super().setUp()
        self.exchange = data_utils.rand_name(prefix='ztt', name='trove')
        self.conductor_topic = data_utils.rand_name(prefix='ztt',
                                                    name='conductor')

    def provision(self, instance_id):
        """Write ``instance_id``'s files as the devstack plugin does.

        :returns: the path of its ``trove-guestagent.conf``.
        """
        directory = os.path.join(self.grants_dir, instance_id)
        files = provision.provision(
            self.control, self.transport_url(), instance_id,
            provision.expiry(rpc_guests.GRANT_LIFETIME),
            os.path.join(directory, provision.GRANTS_FILE),
            exchange=self.exchange, conductor_topic=self.conductor_topic)
        for queue in self.queues(instance_id).values():
            self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                            self.zaqar.queues.delete_queue, queue)
        return provision.write(directory, files)[provision.GUEST_CONF]

    def queues(self, instance_id):
        """``{mode: queue}`` of ``instance_id``'s guest (observer's view)."""
        return rpc_guests.server_queues(
            self.control, provision.guest_target(instance_id, self.exchange))

    def deployed(self, conf_path):
        """What a guest holds: its parsed URL and its grants."""
        url = provision.configured_url(conf_path)
        conf = cfg.ConfigOpts()
        options.register_opts(conf)
        held = settings.from_url(conf, om.TransportURL.parse(conf, url))
        with open(held.signed_urls_file) as f:
            return held, json.load(f)

    @decorators.idempotent_id('c6e0a0f8-c320-4c86-97ae-39b40e15d2ab')
    def test_guest_credentials_reach_only_their_own_queues(self):
        guest_a, guest_b = str(uuid.uuid4()), str(uuid.uuid4())
        conf_a, conf_b = self.provision(guest_a), self.provision(guest_b)

        held, grants_a = self.deployed(conf_a)
        self.assertEqual(('signed', None, None, None), (
            held.auth_mode, held.username, held.password, held.auth_url))
        with open(conf_a) as f:
            self.assertNotIn(self.os_primary.credentials.password, f.read())
        # Server and topic queue, fanout queue, the conductor's topic.
        self.assertEqual(4, len(grants_a))

        queues_a, queues_b = self.queues(guest_a), self.queues(guest_b)
        victims = [resources.victim(self.zaqar, self.addCleanup,
                                    name=queues_b[mode])
                   for mode in ('pop', 'claim')]
        before = [resources.observe_victim(self.zaqar, v) for v in victims]

        for grant in grants_a:
            thief = rpc_guests.grant_clients(self.zaqar, grant)
            for queue in queues_b.values():
                self.assert_no_access(thief, queue)
            for victim in victims:
                for message_id in victim.message_ids:
                    self.assert_refused(thief.messages.show_message,
                                        victim.queue, message_id)
                    self.assert_refused(thief.messages.delete_message,
                                        victim.queue, message_id)
                self.assert_refused(thief.claims.show_claim, victim.queue,
                                    victim.claim_id)
                self.assert_refused(thief.claims.release_claim,
                                    victim.queue, victim.claim_id)

        for victim, state in zip(victims, before):
            resources.assert_intact(self, self.zaqar, victim, state)
        _, grants_b = self.deployed(conf_b)
        own_b = rpc_guests.grant_clients(
            self.zaqar, self.grant(grants_b, queues_b['pop'], 'GET'))
        self.assertEqual(before[0].free, sorted(
            m['id'] for m in resources.list_all_messages(
                own_b, queues_b['pop'])))

        mine = rpc_guests.grant_clients(
            self.zaqar, self.grant(grants_a, queues_a['pop'], 'DELETE'))
        posted = resources.post(mine, queues_a['pop'], [{'to': 'a'}])
        self.assertEqual(posted, [m['id'] for m in
                                  resources.list_all_messages(
                                      mine, queues_a['pop'])])
        claim_id, claimed = resources.claim(mine, queues_a['pop'], 5)
        self.assertEqual(posted, claimed)
        mine.messages.delete_message(queues_a['pop'], claimed[0],
                                     claim_id=claim_id)
        self.assertEqual([], resources.list_all_messages(
            self.zaqar, queues_a['pop']))

        conductor = rpc_guests.server_queues(self.control, om.Target(
            exchange=self.exchange, topic=self.conductor_topic))['claim']
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.zaqar.queues.delete_queue, conductor)
        heartbeat = resources.post(rpc_guests.grant_clients(
            self.zaqar, self.grant(grants_a, conductor, 'POST')),
            conductor, [{'from': 'a'}])
        self.assertEqual(heartbeat, [m['id'] for m in
                                     resources.list_all_messages(
                                         self.zaqar, conductor)])

    @staticmethod
    def grant(grants, queue, method):
        """The grant of ``method`` on ``queue``'s messages."""
        return next(g for g in grants if method in g['methods'] and
                    any(p.endswith('/%s/messages' % queue)
                        for p in g['paths']))
