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

"""TRV-1: Trove's own guest API drives a guest stand-in over a transport.

The same scenarios run on ``zaqar://`` and, as the control, ``rabbit://``.
"""

import time

from tempest.lib import decorators

from zaqar_trove_tests.tests.scenario import base


class GuestApiScenario(base.TroveScenarioTest):
    """TRV-1 scenario; concrete classes name the transport.

    Class steps:

    1. Trove's control plane on the transport: its database (Trove's own
       migrations), its default options (secure RPC on, its call
       timeouts), its conductor; an instance recorded as Trove's
       taskmanager records one (with a per-instance RPC key).
    2. A guest stand-in of that instance on the same transport.

    Each test drives a guest with ``trove.guestagent.api.API`` (steps in
    its docstring) and reads the effects back through that API, Trove's
    database (written by Trove's conductor) or the stand-in.
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.instance_id = cls.control.create_instance()
        cls.guest = cls.start_guest(cls.instance_id,
                                    cls.addClassResourceCleanup)
        cls.api = cls.control.guest_api(cls.instance_id)

    def stored_requests(self, instance_id):
        """Requests waiting for the guest in the transport, if readable."""
        return None

    def _check_calls(self):
        """Calls answer from the guest's state.

        1. Seed the stand-in with two databases and a user.
        2. rpc_ping, list_databases (paged), list_users, get_user,
           list_access, get_volume_info answer with exactly that state.
        3. enable_root_with_password returns Trove's root user; then
           is_root_enabled is True.
        """
        trove, server = self.trove, self.guest.manager.server
        first, second = sorted(base.rand_name('db') for _ in range(2))
        name = base.rand_name('u')
        server.create_databases([base.schema(trove, first),
                                 base.schema(trove, second)])
        server.create_users([base.user(trove, name, 'pw-1', [first])])

        self.assertIs(True, self.api.rpc_ping())
        databases, marker = self.api.list_databases()
        names = [db['_name'] for db in databases]
        self.assertIn(first, names)
        self.assertIn(second, names)
        after = names[names.index(first) + 1:]
        page, marker = self.api.list_databases(limit=1, marker=first)
        self.assertEqual(after[:1], [db['_name'] for db in page])
        self.assertEqual(after[0] if len(after) > 1 else None, marker)
        users, _ = self.api.list_users()
        self.assertIn(name, [u['_name'] for u in users])
        found = self.api.get_user(name, '%')
        self.assertEqual(name, found['_name'])
        self.assertIsNone(found['_password'])
        self.assertEqual([first], [db['_name'] for db in
                                   self.api.list_access(name, '%')])
        self.assertIsNone(self.api.get_user(base.rand_name('u'), '%'))
        volume = self.api.get_volume_info()
        self.assertEqual(server.filesystem_stats()['used'], volume['used'])
        self.assertEqual(1.0, volume['total'])

        root = self.api.enable_root_with_password('Root-pw-1')
        self.assertEqual(('root', 'Root-pw-1'),
                         (root['_name'], root['_password']))
        self.assertIs(True, self.api.is_root_enabled())

    def _check_casts(self):
        """Casts change the guest; calls read the change back.

        1. create_database and create_user (granted that database) casts.
        2. list_databases, get_user and list_access show them.
        3. grant_access / revoke_access calls change the user's access.
        4. change_passwords cast: the guest now holds the new password.
        5. delete_user and delete_database casts: both are gone.
        """
        trove = self.trove
        db, other, name = (base.rand_name('db'), base.rand_name('db'),
                           base.rand_name('u'))
        self.api.create_database([base.schema(trove, db),
                                  base.schema(trove, other)])
        self.api.create_user([base.user(trove, name, 'pw-1', [db])])
        base.wait_for(lambda: self.api.get_user(name, '%'),
                      'user %s on the guest' % name)
        self.assertTrue({db, other}.issubset(
            d['_name'] for d in self.api.list_databases()[0]))
        self.assertEqual([db], [d['_name'] for d in
                                self.api.list_access(name, '%')])

        self.api.grant_access(name, '%', [other])
        self.assertEqual(sorted([db, other]), [
            d['_name'] for d in self.api.list_access(name, '%')])
        self.api.revoke_access(name, '%', db)
        self.assertEqual([other], [d['_name'] for d in
                                   self.api.list_access(name, '%')])

        self.api.change_passwords([{'name': name, 'host': '%',
                                    'password': 'pw-2'}])
        server = self.guest.manager.server
        base.wait_for(lambda: server.password(name) == 'pw-2',
                      'the new password on the guest')

        self.api.delete_user(base.user(trove, name, 'pw-2'))
        self.api.delete_database(base.schema(trove, db))
        base.wait_for(lambda: self.api.get_user(name, '%') is None,
                      'user %s deleted' % name)
        base.wait_for(
            lambda: db not in [d['_name']
                               for d in self.api.list_databases()[0]],
            'database %s deleted' % db)

    def _check_prepare_before_guest(self):
        """``prepare`` cast before the guest exists is handled when it starts.

        1. A new instance, no guest yet; API.prepare (Trove first creates
           the guest's queue with a short-lived RPC server,
           ``_create_guest_queue``, then casts) with a database, a user
           and a root password.
        2. The instance is still NEW in Trove's database; where the
           transport is readable, the prepare request waits there.
        3. Start the guest: it handles the prepare, its heartbeat makes
           the instance HEALTHY in Trove's database (Trove's conductor).
        4. The database, the user and root exist on the guest.
        """
        trove = self.trove
        instance_id = self.control.create_instance()
        # Trove's _create_guest_queue runs a server without endpoints on
        # the guest's queue: a request already waiting there would be
        # consumed (and, without eventlet's monkey-patching, as in this
        # process, its eventlet executor would hang). Nothing waits yet.
        self.assertIn(self.stored_requests(instance_id), (None, []))
        db, name = base.rand_name('db'), base.rand_name('u')
        api = self.control.guest_api(instance_id)
        api.prepare(memory_mb=512, packages='', databases=[
            base.schema(trove, db)], users=[base.user(trove, name, 'pw-1',
                                                      [db])],
            root_password='Root-pw-1', ds_version='8.4')

        self.assertEqual('new', self.control.service_status(instance_id))
        waiting = self.stored_requests(instance_id)
        if waiting is not None:
            self.assertEqual(['prepare'],
                             [m['body']['msg']['method'] for m in waiting])

        self.start_guest(instance_id, self.addCleanup)
        base.wait_for(
            lambda: self.control.service_status(instance_id) == 'healthy',
            'instance %s HEALTHY in Trove' % instance_id)
        self.assertIn(db, [d['_name'] for d in api.list_databases()[0]])
        self.assertEqual([db], [d['_name']
                                for d in api.list_access(name, '%')])
        self.assertIs(True, api.is_root_enabled())

    def _check_guest_down(self):
        """A guest that is down: GuestTimeout, and nothing happens later.

        1. A new instance without a guest; Trove's call timeouts
           (agent_call_low/high_timeout) set to 3 s.
        2. rpc_ping raises GuestTimeout after about 3 s; enable_root too.
        3. Start the guest: rpc_ping answers, and is_root_enabled is
           False: the enable_root whose caller gave up never ran.
        """
        timeout = 3
        instance_id = self.control.create_instance()
        with self.control.options(agent_call_low_timeout=timeout,
                                  agent_call_high_timeout=timeout):
            api = self.control.guest_api(instance_id)
        guest_timeout = self.trove.exception.GuestTimeout
        for call in (api.rpc_ping, api.enable_root):
            started = time.monotonic()
            self.assertRaises(guest_timeout, call)
            elapsed = time.monotonic() - started
            self.assertGreaterEqual(elapsed, timeout - 0.5)
            self.assertLess(elapsed, timeout + 10)

        self.start_guest(instance_id, self.addCleanup)
        api = self.control.guest_api(instance_id)
        self.assertIs(True, api.rpc_ping())
        self.assertIs(False, api.is_root_enabled())

    def _check_guest_error(self):
        """Guest-side exceptions reach Trove as GuestError.

        1. get_root_password: Trove's DatastoreOperationNotSupported on
           the guest (an allowed exception module) -> GuestError.
        2. list_access of an unknown user: AttributeError on the guest
           (RemoteError) -> GuestError naming it.
        3. grant_access to a reserved database: Trove's BadRequest ->
           GuestError.
        4. The guest still answers rpc_ping.
        """
        guest_error = self.trove.exception.GuestError
        error = self.assertRaises(guest_error, self.api.get_root_password)
        self.assertIn("'get_root_password' operation is not supported",
                      str(error))
        error = self.assertRaises(guest_error, self.api.list_access,
                                  base.rand_name('u'), '%')
        self.assertIn('AttributeError', str(error))
        name = base.rand_name('u')
        self.guest.manager.server.create_users(
            [base.user(self.trove, name, 'pw-1')])
        self.assertRaises(guest_error, self.api.grant_access, name, '%',
                          ['mysql'])
        self.assertIs(True, self.api.rpc_ping())

    def _check_conductor(self):
        """Guest -> conductor: heartbeats and backup updates.

        Trove's conductor API on the guest (ConductorGuestSerializer, the
        instance's key) to Trove's conductor manager (its host serializer
        finds the key in Trove's database).

        1. stop_db: the guest's heartbeat makes the instance SHUTDOWN in
           Trove's database; restart: HEALTHY again.
        2. A backup record (NEW); create_backup cast: the guest's two
           update_backup casts leave it COMPLETED with the guest's
           checksum and location.
        """
        status = self.control.service_status
        self.api.stop_db()
        base.wait_for(lambda: status(self.instance_id) == 'shutdown',
                      'instance SHUTDOWN in Trove')
        self.api.restart()
        base.wait_for(lambda: status(self.instance_id) == 'healthy',
                      'instance HEALTHY in Trove')

        backup_id = self.control.create_backup_record(self.instance_id)
        self.api.create_backup({'id': backup_id, 'type': 'InnoBackupEx',
                                'instance_id': self.instance_id})

        def completed():
            backup = self.control.backup(backup_id)
            return backup if backup.state == 'COMPLETED' else None

        backup = base.wait_for(completed,
                               'backup %s COMPLETED in Trove' % backup_id)
        sent = self.guest.manager.backups[backup_id]
        self.assertEqual((sent['checksum'], sent['location']),
                         (backup.checksum, backup.location))


class GuestApiZaqarTest(GuestApiScenario):
    """TRV-1 on ``zaqar://`` (steps: ``GuestApiScenario``)."""

    transport = 'zaqar'

    def stored_requests(self, instance_id):
        queue = self.control.guest_queues(instance_id)['topic']
        return self.zaqar.messages.list_messages(queue, echo=True)[
            'messages']

    @decorators.idempotent_id('638f4408-0d79-43ce-b6e5-5abadd216985')
    def test_calls(self):
        self._check_calls()

    @decorators.idempotent_id('ce90e0d6-de88-4016-a95d-eaa1dd66fadb')
    def test_casts(self):
        self._check_casts()

    @decorators.idempotent_id('0d2e50bc-54fd-43e2-8ef1-1b30ec2e030d')
    def test_prepare_before_guest(self):
        self._check_prepare_before_guest()

    @decorators.idempotent_id('a96e9c50-3f20-4ccb-8469-8aa53aa78a55')
    def test_guest_down(self):
        self._check_guest_down()

    @decorators.idempotent_id('6aa525dc-078f-4cad-bd64-cc1e467ff905')
    def test_guest_error(self):
        self._check_guest_error()

    @decorators.idempotent_id('58e3b9b5-632e-4a6a-988e-2aea055ba11b')
    def test_conductor(self):
        self._check_conductor()


class GuestApiRabbitTest(GuestApiScenario):
    """TRV-1 on ``rabbit://``, the control (steps: ``GuestApiScenario``)."""

    transport = 'rabbit'

    @decorators.idempotent_id('80b44f13-872b-42f6-8432-6e62531089e1')
    def test_calls(self):
        self._check_calls()

    @decorators.idempotent_id('52d8d2c0-2338-409b-9227-6bc8cff42c46')
    def test_casts(self):
        self._check_casts()

    @decorators.idempotent_id('5da4fd75-f47f-4017-ad72-5252f206afad')
    def test_prepare_before_guest(self):
        self._check_prepare_before_guest()

    @decorators.idempotent_id('ee37e539-681b-4a5e-a82d-170e2b81cbd8')
    def test_guest_down(self):
        self._check_guest_down()

    @decorators.idempotent_id('926dcf6c-6d17-4714-b9be-42f81294a8ed')
    def test_guest_error(self):
        self._check_guest_error()

    @decorators.idempotent_id('e2391373-8e6f-465b-a91f-532d0b404728')
    def test_conductor(self):
        self._check_conductor()
