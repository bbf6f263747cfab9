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

"""Trove's control plane in the test process, on Trove's own code.

- ``database()``: Trove's database, sqlite in a temporary directory, its
  schema made by Trove's own migrations (``db_sync``) and its models
  mapped by ``configure_db``; once per process.
- ``ControlPlane``: Trove's options (``set_override``, undone by
  ``close``), Trove's RPC transport (``trove.rpc.init`` on a transport
  URL), instances as Trove's taskmanager records them (``DBInstance``
  with its per-instance RPC key when ``enable_secure_rpc_messaging`` is
  on, and a service status), ``trove.guestagent.api.API`` for them, and
  the conductor.
- ``ConductorService``: Trove's conductor manager served as
  ``trove-conductor`` serves it (``Target(topic=conductor_queue)``,
  ``ConductorHostSerializer``): the guests' heartbeats and backup updates
  change Trove's database, which tests read back.
"""

import atexit
import contextlib
import shutil
import sqlite3
import tempfile
import threading
import uuid

import oslo_messaging as om
from oslo_messaging.rpc import dispatcher

from zaqar_trove_tests.guest import service
from zaqar_trove_tests.guest import troveenv
from zaqar_trove_tests.rpc import names

_DB_LOCK = threading.Lock()
_DB_URL = None


def database(trove):
    """Create and map Trove's database once; its URL."""
    global _DB_URL
    with _DB_LOCK:
        if _DB_URL is None:
            path = tempfile.mkdtemp(prefix='ztt-trove-db-')
            atexit.register(shutil.rmtree, path, ignore_errors=True)
            url = 'sqlite:///%s/trove.sqlite' % path
            # Trove never closes the sessions of its lookups: on sqlite
            # their open read transactions would lock the conductor's
            # writes out. In WAL mode readers do not block writers.
            with contextlib.closing(sqlite3.connect(
                    '%s/trove.sqlite' % path)) as connection:
                connection.execute('PRAGMA journal_mode=WAL')
            trove.conf.set_override('connection', url, group='database')
            # oslo.db's engine facade reads the global cfg.CONF when it
            # starts: start it while that is Trove's.
            with troveenv.trove_conf(trove.conf):
                trove.db_api.db_sync(trove.conf)
                trove.db_api.configure_db()
            _DB_URL = url
        return _DB_URL


class ControlPlane:
    """Trove's control plane over one transport URL.

    :param trove: ``troveenv.load()``.
    :param transport_url: the transport Trove's services use.
    :param overrides: Trove options (``{name: value}``, DEFAULT group).
    """

    def __init__(self, trove, transport_url, overrides=None):
        self.trove = trove
        self.conf = trove.conf
        self._overrides = {}
        self.conductor = None
        database(trove)
        if trove.rpc.TRANSPORT is not None:
            raise RuntimeError('Trove RPC is already initialised in this '
                               'process (a ControlPlane was not closed)')
        try:
            self.override(control_exchange='trove',
                          transport_url=transport_url, **(overrides or {}))
            trove.rpc.init(self.conf)
        except Exception:
            self._clear()
            raise
        self.context = trove.context.TroveContext(
            user_id='ztt-user', project_id='ztt-project', is_admin=True,
            request_id='req-%s' % uuid.uuid4())

    def override(self, **options):
        """``set_override`` each option; ``close`` clears them."""
        for name, value in options.items():
            self.conf.set_override(name, value)
            self._overrides[name] = value

    @property
    def transport(self):
        return self.trove.rpc.TRANSPORT

    def create_instance(self, instance_id=None, tenant_id='ztt-project'):
        """An instance record as Trove's taskmanager makes it.

        Its RPC key exists when ``enable_secure_rpc_messaging`` is on.
        :returns: the instance id.
        """
        trove = self.trove
        values = dict(
            name='ztt-%s' % uuid.uuid4().hex[:8],
            task_status=trove.instance_tasks.InstanceTasks.BUILDING,
            tenant_id=tenant_id, datastore_version_id='ztt-mysql',
            flavor_id='ztt-flavor', volume_size=1)
        if instance_id:
            values['id'] = instance_id
        instance = trove.instance_models.DBInstance.create(**values)
        trove.instance_models.InstanceServiceStatus.create(
            instance_id=instance.id,
            status=trove.service_status.ServiceStatuses.NEW)
        return instance.id

    def instance_key(self, instance_id):
        """The instance's RPC key as Trove finds it (None: plain RPC)."""
        return self.trove.instance_models.get_instance_encryption_key(
            instance_id)

    def guest_api(self, instance_id):
        """Trove's ``trove.guestagent.api.API`` for the instance."""
        return self.trove.guest_api.API(self.context, instance_id)

    def service_status(self, instance_id):
        """The instance's service status description in Trove's DB."""
        status = self.trove.instance_models.InstanceServiceStatus.find_by(
            instance_id=instance_id)
        return status.get_status().description

    def create_backup_record(self, instance_id):
        """A backup record (state NEW) of the instance; its id."""
        backup = self.trove.backup_models.DBBackup.create(
            name='ztt-backup', state=self.trove.backup_state.BackupState.NEW,
            instance_id=instance_id, tenant_id='ztt-project',
            deleted=False)
        return backup.id

    def backup(self, backup_id):
        """The backup record as Trove's database holds it."""
        return self.trove.backup_models.DBBackup.find_by(id=backup_id)

    @contextlib.contextmanager
    def options(self, **options):
        """Trove options set for the duration of a ``with`` block."""
        for name, value in options.items():
            self.conf.set_override(name, value)
        try:
            yield
        finally:
            for name in options:
                if name in self._overrides:
                    self.conf.set_override(name, self._overrides[name])
                else:
                    self.conf.clear_override(name)

    def guest_queues(self, instance_id):
        """The zaqar:// driver's queues of the instance's guest.

        ``{'topic': ..., 'server': ..., 'fanout': ...}`` (``rpc.names``):
        Trove's guest API targets ``guestagent.<id>`` without a server,
        so its requests wait in ``topic``; the guest also reads its
        ``server`` and ``fanout`` queues.
        """
        prefix = self.transport._driver.settings.queue_prefix
        exchange = self.conf.control_exchange
        topic = 'guestagent.%s' % instance_id
        return {'topic': names.topic_queue(prefix, exchange, topic),
                'server': names.server_queue(prefix, exchange, topic,
                                             instance_id),
                'fanout': names.fanout_queue(prefix, exchange, topic)}

    def start_conductor(self):
        """Serve Trove's conductor on this transport (``close`` stops)."""
        self.conductor = ConductorService(self.trove, self.transport)
        self.conductor.start()
        return self.conductor

    def close(self):
        """Stop the conductor, clean Trove's RPC up, clear the options."""
        try:
            if self.conductor is not None:
                self.conductor.stop()
                self.conductor = None
        finally:
            try:
                if self.trove.rpc.TRANSPORT is not None:
                    self.trove.rpc.cleanup()
            finally:
                self._clear()

    def _clear(self):
        for name in self._overrides:
            self.conf.clear_override(name)
        self._overrides = {}


class ConductorService:
    """Trove's conductor manager, served the way ``trove-conductor`` does.

    ``recorder`` (``service.Recorder``) shows what reached it, and what
    Trove's serializer refused (a payload encrypted with a wrong key).
    """

    def __init__(self, trove, transport):
        conf = trove.conf
        self.target = om.Target(
            topic=conf.conductor_queue, server='ztt-conductor',
            version=trove.conductor_api.API.API_LATEST_VERSION)
        self.recorder = service.Recorder(
            trove.host_serializer.ConductorHostSerializer(
                trove.serializer.TroveRequestContextSerializer(None), None))
        self.server = om.get_rpc_server(
            transport, self.target, [trove.conductor_manager.Manager()],
            executor='threading', serializer=self.recorder,
            access_policy=dispatcher.DefaultRPCAccessPolicy)

    def start(self):
        # One worker: Trove's conductor writes to its database, and on
        # sqlite two concurrent writers lock each other out.
        self.server.start(override_pool_size=1)

    def stop(self):
        self.server.stop()
        self.server.wait()
