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

"""Guest isolation as Trove would deploy guests on ``zaqar://``.

A guest holds no keystone credentials, only the pre-signed URLs Trove's
control plane mints for it (the driver's ``share_server_queues``, through
``common.rpc.guests``): read its own ``guestagent.<id>`` queues, post to
the conductor's topic. What
RabbitMQ cannot offer (its guests share one account), so there is no
RabbitMQ control.
"""

import json
import os
import shutil
import tempfile

import oslo_messaging as om
from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions

from zaqar_trove_tests.common.rpc import guests as rpc_guests
from zaqar_trove_tests.tests.scenario import base

CONF = config.CONF


class GuestIsolationTest(base.TroveScenarioTest):
    """Guests on pre-signed URLs reach their own queues only.

    Class steps:

    1. Trove's control plane on ``zaqar://`` (secure RPC on) and its
       conductor.
    2. Instances A and B, each with a guest stand-in holding only the
       pre-signed URLs minted for it (``auth_mode=signed``).

    Test steps are in each test's docstring.
    """

    transport = 'zaqar'

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.signed_urls:
            raise cls.skipException('Pre-signed URLs are not enabled')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.grants_dir = tempfile.mkdtemp(prefix='ztt-grants-')
        cls.addClassResourceCleanup(shutil.rmtree, cls.grants_dir, True)
        cls.guests = {}
        for _ in range(2):
            instance_id = cls.control.create_instance()
            cls.guests[instance_id] = cls.start_guest(
                instance_id, cls.addClassResourceCleanup,
                url=cls.signed_url(instance_id))

    @classmethod
    def signed_url(cls, instance_id):
        """The transport URL of a guest holding only its own grants.

        The grants (written to ``<grants_dir>/<id>.json``): its own
        queues, and posting to the conductor's topic.
        """
        target = om.Target(topic='guestagent.%s' % instance_id,
                           server=instance_id)
        conductor = (None, cls.control.conf.conductor_queue)
        url, _ = rpc_guests.signed_guest_url(
            cls.control.transport, cls.transport_url, target,
            cls.grants_dir, send_topics=[conductor])
        return url

    def grants(self, instance_id):
        with open(os.path.join(self.grants_dir, '%s.json' % instance_id)) as f:
            return json.load(f)

    @decorators.idempotent_id('4eea4140-dfd0-4549-bca7-42354eb1dc9b')
    def test_signed_guests_serve_trove(self):
        """Guests holding only their pre-signed URLs serve Trove.

        For A and B:

        1. rpc_ping (the reply goes back through the caller's reply
           grant carried by the request).
        2. create_database cast, then list_databases shows it.
        3. stop_db: the guest's heartbeat (posted with its conductor
           grant) makes the instance SHUTDOWN in Trove; restart: HEALTHY.
        """
        for instance_id in self.guests:
            self.assertIs(True, self.control.guest_api(
                instance_id).rpc_ping())
            base.check_database_and_restart(self.control, self.trove,
                                            instance_id)

    @decorators.idempotent_id('0fb34f50-1008-42ec-8faf-47d9d5c1803c')
    def test_guest_cannot_reach_another_guests_queues(self):
        """B's pre-signed URLs open none of C's queues; C is unharmed.

        1. Instance C, its guest not started; a create_database cast to C
           waits in C's queue (seen with the control plane's identity).
        2. A stand-in for C holding B's pre-signed URLs cannot start.
        3. With each of B's pre-signed URLs, on C's queues: list, claim,
           pop (server queue) and post (a forged request) are refused by
           Zaqar (404); the same list with C's own URL works.
        4. C's request is still there, unclaimed; C's guest starts on its
           own URLs and handles it; B and A still answer.
        """
        victim = self.control.create_instance()
        queues = self.control.guest_queues(victim)
        db = base.rand_name('db')
        api = self.control.guest_api(victim)
        api.create_database([base.schema(self.trove, db)])
        before = self.zaqar.messages.list_messages(queues['topic'],
                                                   echo=True)['messages']
        self.assertEqual(['create_database'],
                         [m['body']['msg']['method'] for m in before])

        intruder = next(iter(self.guests))
        self.assertRaises(om.MessagingException, self.start_guest, victim,
                          self.addCleanup,
                          url=self.guests[intruder].url)

        for grant in self.grants(intruder):
            clients = rpc_guests.grant_clients(self.zaqar, grant)
            messages, claims = clients.messages, clients.claims
            self.assertRaises(exceptions.NotFound, messages.list_messages,
                              queues['topic'], echo=True)
            self.assertRaises(exceptions.NotFound, claims.claim_messages,
                              queues['topic'], ttl=60, grace=60, limit=10)
            self.assertRaises(exceptions.NotFound, messages.pop_messages,
                              queues['server'], 10)
            self.assertRaises(exceptions.NotFound, messages.post_messages,
                              queues['topic'], [{'body': before[0]['body'],
                                                 'ttl': 60}])
        own = self.signed_url(victim)
        topic_grant = next(g for g in self.grants(victim)
                           if any(queues['topic'] + '/' in p
                                  for p in g['paths']))
        self.assertEqual(
            [before[0]['id']],
            [m['id'] for m in rpc_guests.grant_clients(
                self.zaqar, topic_grant).messages.list_messages(
                    queues['topic'], echo=True)['messages']])

        after = self.zaqar.messages.list_messages(queues['topic'],
                                                  echo=True)['messages']
        self.assertEqual([before[0]['id']], [m['id'] for m in after])
        self.start_guest(victim, self.addCleanup, url=own)
        base.wait_for(
            lambda: db in [d['_name'] for d in api.list_databases()[0]],
            'the waiting create_database handled by its own guest')
        for instance_id in self.guests:
            self.assertIs(True,
                          self.control.guest_api(instance_id).rpc_ping())
