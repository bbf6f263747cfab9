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

"""The in-memory database server of a guest stand-in.

It keeps what a MySQL guest would (databases, users, their grants, remote
root, the data volume) and answers as Trove 26's MySQL guest does
(``trove.guestagent.datastore.mysql_common.service.MySqlAdmin``): inputs
are Trove's serialized ``MySQLSchema``/``MySQLUser`` dicts, validated by
Trove's own models (so a reserved or malformed name fails as it would on a
guest), outputs are those models serialized, lists are
``(items, next_marker)``. Thread-safe.
"""

import threading

#: Volume figures (GB) of a fresh guest, and what a database adds.
VOLUME_GB = 1.0
BASE_USED_GB = 0.1
DATABASE_GB = 0.01
BLOCK_SIZE = 4096


class DatabaseServer:
    """Databases, users and root of one guest.

    :param models: ``trove.common.db.mysql.models`` (``MySQLSchema``,
        ``MySQLUser``).
    """

    def __init__(self, models):
        self._schema = models.MySQLSchema
        self._user = models.MySQLUser
        self._lock = threading.Lock()
        self._databases = {}
        self._users = {}
        self.root_enabled = False
        self.root_password = None
        self.volume_gb = VOLUME_GB

    # -- databases -------------------------------------------------------

    def create_databases(self, databases):
        schemas = []
        for item in databases:
            schema = self._schema.deserialize(item)
            schema.check_create()
            schemas.append(schema)
        with self._lock:
            for schema in schemas:
                self._databases.setdefault(schema.name, schema.serialize())

    def delete_database(self, database):
        schema = self._schema.deserialize(database)
        schema.check_delete()
        with self._lock:
            self._databases.pop(schema.name, None)
            for user in self._users.values():
                user['databases'].discard(schema.name)

    def list_databases(self, limit=None, marker=None, include_marker=False):
        with self._lock:
            items = sorted(self._databases.items())
        return page(items, limit, marker, include_marker)

    # -- users -----------------------------------------------------------

    def create_users(self, users):
        parsed = []
        for item in users:
            user = self._user.deserialize(item)
            user.check_create()
            parsed.append(user)
        with self._lock:
            for user in parsed:
                self._users[(user.name, user.host)] = {
                    'password': user.password,
                    'databases': {self._schema.deserialize(db).name
                                  for db in user.databases}}

    def delete_user(self, user):
        user = self._user.deserialize(user)
        user.check_delete()
        with self._lock:
            self._users.pop((user.name, user.host), None)

    def change_passwords(self, users):
        for item in users:
            user = self._user.deserialize({'_name': item['name'],
                                           '_host': item['host'],
                                           '_password': item['password']})
            with self._lock:
                self._users[(user.name, user.host)]['password'] = \
                    user.password

    def update_attributes(self, username, hostname, user_attrs):
        key = self._find(username, hostname)
        with self._lock:
            record = self._users.pop(key)
            if user_attrs.get('password') is not None:
                record['password'] = user_attrs['password']
            new_key = (user_attrs.get('name') or key[0],
                       user_attrs.get('host') or key[1])
            self._users[new_key] = record

    def get_user(self, username, hostname):
        """The serialized user, None when there is no such user."""
        user = self._model(username, hostname)
        return user.serialize() if user else None

    def list_users(self, limit=None, marker=None, include_marker=False):
        with self._lock:
            keys = sorted(self._users)
        items = [('%s@%s' % key, self._model(*key).serialize())
                 for key in keys]
        return page(items, limit, marker, include_marker)

    def grant_access(self, username, hostname, databases):
        key = self._find(username, hostname)
        names = []
        for database in databases:
            schema = self._schema(name=database)
            schema.check_reserved()
            names.append(schema.name)
        with self._lock:
            self._users[key]['databases'].update(names)

    def revoke_access(self, username, hostname, database):
        key = self._find(username, hostname)
        with self._lock:
            self._users[key]['databases'].discard(database)

    def list_access(self, username, hostname):
        # As Trove's guest: an unknown user fails (AttributeError).
        return self._model(username, hostname).databases

    def password(self, username, hostname='%'):
        """A user's password (for tests of what reached the guest)."""
        with self._lock:
            record = self._users.get((username, hostname))
            return record and record['password']

    def _find(self, username, hostname):
        user = self._user(name=username)
        user.check_reserved()
        key = (user.name, hostname)
        with self._lock:
            if key not in self._users:
                raise LookupError('no user %s@%s' % key)
        return key

    def _model(self, username, hostname):
        user = self._user(name=username)
        user.check_reserved()
        with self._lock:
            record = self._users.get((username, hostname))
            if record is None:
                return None
            user.host = hostname
            user.databases = sorted(record['databases'])
        return user

    # -- root ------------------------------------------------------------

    def enable_root(self, root_password=None):
        """Remote root with that (or a generated) password, serialized."""
        root = self._user.root(password=root_password)
        with self._lock:
            self.root_enabled = True
            self.root_password = root.password
        return root.serialize()

    def disable_root(self):
        # Trove's MySQL guest resets root's password to an unknown value;
        # remote root still exists, so is_root_enabled() stays True.
        self.enable_root(None)

    # -- volume ----------------------------------------------------------

    def filesystem_stats(self):
        """``get_filesystem_stats``' figures, from what the server holds."""
        with self._lock:
            used = BASE_USED_GB + DATABASE_GB * len(self._databases)
            total = self.volume_gb
        blocks = int(total * 1024 ** 3 / BLOCK_SIZE)
        free_blocks = int((total - used) * 1024 ** 3 / BLOCK_SIZE)
        return {'block_size': BLOCK_SIZE, 'total_blocks': blocks,
                'free_blocks': free_blocks, 'total': total,
                'free': round(total - used, 2), 'used': round(used, 2)}


def page(items, limit=None, marker=None, include_marker=False):
    """``(values, next_marker)`` of sorted ``(key, value)`` items.

    As Trove's guest: keys after ``marker`` (from it with
    ``include_marker``), at most ``limit``; ``next_marker`` is the last
    key returned when more remain, else None.
    """
    if marker is not None:
        items = [(k, v) for k, v in items
                 if k > marker or (include_marker and k == marker)]
    if limit is None or len(items) <= limit:
        return [v for _, v in items], None
    kept = items[:limit]
    return [v for _, v in kept], kept[-1][0]
