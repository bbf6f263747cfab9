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

"""The RPC endpoint of a guest stand-in: Trove 26's MySQL guest manager.

Every method ``trove.guestagent.api.API`` calls or casts and that Trove's
MySQL guest manager (``trove.guestagent.datastore.mysql.manager``)
defines exists here with the same name and signature; the ones Trove's
guest lacks (``get_hwinfo``, ``get_diagnostics``, ``update_guest``,
``attach_replication_slave``, ``cleanup_source_on_replica_detach``) are
missing here too, so they fail as on a real guest (the unit tests check
both against Trove's code). Operations Trove's MySQL guest does not
support raise Trove's ``DatastoreOperationNotSupported``.

State lives in ``state.DatabaseServer`` and in attributes (status,
configuration, modules, replication, logs, SSL); the guest reports to the
conductor as Trove's does: a heartbeat ``{'service_status': ...}`` on each
status change, two ``update_backup`` casts (BUILDING, COMPLETED) per
backup. One deliberate difference: ``prepare`` reports HEALTHY after it
created the databases, users and root (Trove's reports before), so that a
test seeing HEALTHY can list them at once.
"""

import uuid

import oslo_messaging as om
from oslo_utils import timeutils

from zaqar_trove_tests.guest import state

#: The guest API version Trove's guest agent serves (API_LATEST_VERSION).
API_VERSION = '1.3'


class GuestManager:
    """One guest's endpoint.

    :param trove: ``troveenv.load()``.
    :param instance_id: the instance this guest is.
    :param conductor: ``conductor(context)`` returns Trove's conductor API
        (``trove.conductor.api.API``) for this guest; None reports nothing.
    """

    target = om.Target(version=API_VERSION)

    def __init__(self, trove, instance_id, conductor=None):
        self._trove = trove
        self._statuses = trove.service_status.ServiceStatuses
        self._conductor = conductor
        self.instance_id = instance_id
        self.server = state.DatabaseServer(trove.mysql_models)
        self.status = self._statuses.NEW.description
        self.prepared = None
        self.config_contents = None
        self.overrides = {}
        self.modules = {}
        self.logs = {'general': 'Disabled', 'slow_query': 'Disabled'}
        self.replication = {'read_only': False, 'master': None}
        self.ssl = {'status': 'off', 'mode': None}
        self.mounted = {}
        self.restarts = 0
        self.backups = {}
        self.ds_version = None

    # -- reporting -------------------------------------------------------

    def _set_status(self, status):
        self.status = status.description
        self._report('heartbeat', self.instance_id,
                     {'service_status': status.description})

    def _report(self, method, *args, **kwargs):
        if self._conductor is None:
            return
        api = self._conductor(self._trove.context.TroveContext())
        getattr(api, method)(*args, sent=timeutils.utcnow_ts(
            microsecond=True), **kwargs)

    def _unsupported(self, operation):
        raise self._trove.exception.DatastoreOperationNotSupported(
            operation=operation, datastore='mysql')

    # -- instance --------------------------------------------------------

    def rpc_ping(self, context):
        return True

    def prepare(self, context, packages, databases, memory_mb, users,
                device_path=None, mount_point=None, backup_info=None,
                config_contents=None, root_password=None, overrides=None,
                cluster_config=None, snapshot=None, modules=None,
                ds_version=None):
        self.status = self._statuses.BUILDING.description
        try:
            self.prepared = {'packages': packages, 'memory_mb': memory_mb,
                             'backup_info': backup_info,
                             'cluster_config': cluster_config,
                             'snapshot': snapshot}
            self.mounted[mount_point] = device_path
            self.config_contents = config_contents
            self.overrides = dict(overrides or {})
            self.ds_version = ds_version
            if modules:
                self.module_apply(context, modules)
            if databases:
                self.server.create_databases(databases)
            if users:
                self.server.create_users(users)
            if root_password and not backup_info:
                self.server.enable_root(root_password)
        except Exception:
            self._set_status(self._statuses.FAILED)
            raise
        self._set_status(self._statuses.HEALTHY)

    def restart(self, context):
        self.restarts += 1
        self._set_status(self._statuses.HEALTHY)

    def stop_db(self, context):
        self._set_status(self._statuses.SHUTDOWN)

    def start_db_with_conf_changes(self, context, config_contents,
                                   ds_version):
        self.config_contents = config_contents
        self.ds_version = ds_version
        self._set_status(self._statuses.HEALTHY)

    def rebuild(self, context, ds_version, config_contents=None,
                config_overrides=None):
        self.ds_version = ds_version
        self.config_contents = config_contents
        self.overrides = dict(config_overrides or {})
        self._set_status(self._statuses.HEALTHY)

    def pre_upgrade(self, context):
        return {}

    def upgrade(self, context, upgrade_info):
        self.ds_version = upgrade_info.get('datastore_version')
        self._set_status(self._statuses.HEALTHY)

    def post_upgrade(self, context, upgrade_info):
        pass

    # -- volume ----------------------------------------------------------

    def get_filesystem_stats(self, context, fs_path):
        stats = self.server.filesystem_stats()
        stats['mgr_extra_info'] = {}
        return stats

    def mount_volume(self, context, device_path=None, mount_point=None,
                     write_to_fstab=False):
        self.mounted[mount_point] = device_path

    def unmount_volume(self, context, device_path=None, mount_point=None):
        self.mounted.pop(mount_point, None)

    def resize_fs(self, context, device_path=None, mount_point=None,
                  online=False):
        self.server.volume_gb += 1

    # -- configuration ---------------------------------------------------

    def reset_configuration(self, context, configuration):
        self.config_contents = configuration['config_contents']

    def update_overrides(self, context, overrides, remove=False):
        if remove:
            self.overrides = {}
        self.overrides.update(overrides or {})

    def apply_overrides(self, context, overrides):
        self.overrides.update(overrides or {})

    # -- databases, users, root ------------------------------------------

    def create_database(self, context, databases):
        self.server.create_databases(databases)

    def list_databases(self, context, limit=None, marker=None,
                       include_marker=False):
        return self.server.list_databases(limit, marker, include_marker)

    def delete_database(self, context, database):
        self.server.delete_database(database)

    def create_user(self, context, users):
        self.server.create_users(users)

    def list_users(self, context, limit=None, marker=None,
                   include_marker=False):
        return self.server.list_users(limit, marker, include_marker)

    def delete_user(self, context, user):
        self.server.delete_user(user)

    def get_user(self, context, username, hostname):
        return self.server.get_user(username, hostname)

    def change_passwords(self, context, users):
        self.server.change_passwords(users)

    def update_attributes(self, context, username, hostname, user_attrs):
        self.server.update_attributes(username, hostname, user_attrs)

    def grant_access(self, context, username, hostname, databases):
        self.server.grant_access(username, hostname, databases)

    def revoke_access(self, context, username, hostname, database):
        self.server.revoke_access(username, hostname, database)

    def list_access(self, context, username, hostname):
        return self.server.list_access(username, hostname)

    def enable_root(self, context):
        return self.server.enable_root()

    def enable_root_with_password(self, context, root_password=None):
        return self.server.enable_root(root_password)

    def disable_root(self, context):
        self.server.disable_root()

    def is_root_enabled(self, context):
        return self.server.root_enabled

    def get_root_password(self, context):
        self._unsupported('get_root_password')

    # -- backups ---------------------------------------------------------

    def create_backup(self, context, backup_info):
        backup_id = backup_info['id']
        fields = {'backup_id': backup_id, 'backup_type': 'ztt-standin',
                  'size': self.server.filesystem_stats()['used'],
                  'state': 'BUILDING'}
        self._report('update_backup', self.instance_id, **fields)
        fields.update(state='COMPLETED', success=True,
                      checksum=uuid.uuid4().hex,
                      location='ztt://backups/%s' % backup_id)
        self.backups[backup_id] = fields
        self._report('update_backup', self.instance_id, **fields)

    def pre_create_backup(self, context, **kwargs):
        return {'log_file': 'binlog.000001', 'log_position': 4}

    def post_create_backup(self, context, **kwargs):
        return {}

    # -- replication -----------------------------------------------------

    def backup_required_for_replication(self, context):
        return True

    def get_replication_snapshot(self, context, snapshot_info,
                                 replica_source_config=None):
        return {'dataset': {'datastore_manager': 'mysql',
                            'snapshot_id': snapshot_info.get('id')},
                'replication_strategy': 'MysqlGTIDReplication',
                'master': {'id': self.instance_id},
                'log_position': {}}

    def attach_replica(self, context, replica_info, slave_config, **kwargs):
        self.replication['master'] = replica_info.get('master')

    def detach_replica(self, context, for_failover=False):
        master, self.replication['master'] = self.replication['master'], None
        return {'master': master, 'for_failover': for_failover}

    def get_replica_context(self, context):
        return {'master': {'id': self.instance_id},
                'replication_strategy': 'MysqlGTIDReplication'}

    def make_read_only(self, context, read_only):
        self.replication['read_only'] = read_only

    def enable_as_master(self, context, replica_source_config):
        self.replication['master'] = None

    def demote_replication_master(self, context):
        self.replication['read_only'] = True

    def get_txn_count(self, context):
        self._unsupported('get_txn_count')

    def get_last_txn(self, context):
        return self.instance_id, 0

    def get_latest_txn_id(self, context):
        return '%s:0' % self.instance_id

    def wait_for_txn(self, context, txn):
        pass

    # -- logs, modules, SSL ----------------------------------------------

    def guest_log_list(self, context):
        return [{'name': name, 'type': 'USER', 'status': status}
                for name, status in sorted(self.logs.items())]

    def guest_log_action(self, context, log_name, enable, disable, publish,
                         discard):
        if log_name not in self.logs:
            raise self._trove.exception.LogsNotAvailable()
        if enable or disable:
            self.logs[log_name] = 'Enabled' if enable else 'Disabled'
        return {'name': log_name, 'type': 'USER',
                'status': self.logs[log_name]}

    def module_list(self, context, include_contents=False):
        return [dict(m, contents=None) if not include_contents else dict(m)
                for _, m in sorted(self.modules.items())]

    def module_apply(self, context, modules=None):
        results = []
        for module in modules or []:
            item = module.get('module', module)
            self.modules[item['id']] = dict(item)
            results.append({'id': item['id'], 'name': item.get('name'),
                            'status': 'OK', 'message': 'Module applied'})
        return results

    def module_remove(self, context, module=None):
        item = (module or {}).get('module', module or {})
        self.modules.pop(item.get('id'), None)

    def ssl_show(self, context):
        return dict(self.ssl)

    def ssl_action(self, context, mode, container, enable, disable):
        if enable and disable:
            raise self._trove.exception.BadRequest(
                'Cannot enable and disable ssl')
        if enable:
            self.ssl = {'status': 'on', 'mode': mode}
        elif disable:
            self.ssl = {'status': 'off', 'mode': None}
        return {'restart_required': bool(enable or disable)}

    def ssl_rollback(self, context):
        self.ssl = {'status': 'off', 'mode': None}
        return dict(self.ssl, restart_required=True)
