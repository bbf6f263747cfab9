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

"""Where everything of one stack lives inside its state directory.

``etc/`` and ``data/`` are rebuilt by every ``up``; ``logs/``,
``tempest/`` (the tempest workspace and its stestr repository) and
``reports/`` are kept.
"""

import os

STATE_DIR_ENV = 'ZTT_STATE_DIR'


def default_state_dir():
    """``$ZTT_STATE_DIR``, else ``.stack`` in the current directory."""
    return os.environ.get(STATE_DIR_ENV) or os.path.join(os.getcwd(),
                                                         '.stack')


class Paths:
    """Absolute paths of one state directory."""

    def __init__(self, root):
        self.root = j = os.path.abspath(root)
        self.state_file = os.path.join(j, 'state.json')
        self.lock_file = os.path.join(j, 'state.lock')
        self.etc = os.path.join(j, 'etc')
        self.data = os.path.join(j, 'data')
        self.logs = os.path.join(j, 'logs')
        self.reports = os.path.join(j, 'reports')
        # Keystone and Zaqar load config dirs too: give them an empty one.
        self.empty_conf_dir = os.path.join(self.etc, 'empty.d')
        self.keystone_conf = os.path.join(self.etc, 'keystone.conf')
        self.keystone_policy = os.path.join(self.etc, 'keystone-policy')
        self.keystone_data = os.path.join(self.data, 'keystone')
        self.keystone_db = os.path.join(self.keystone_data, 'keystone.db')
        self.fernet_keys = os.path.join(self.keystone_data, 'fernet-keys')
        self.credential_keys = os.path.join(self.keystone_data,
                                            'credential-keys')
        self.zaqar_conf = os.path.join(self.etc, 'zaqar.conf')
        self.zaqar_ws_conf = os.path.join(self.etc, 'zaqar-websocket.conf')
        self.zaqar_policy = os.path.join(self.etc, 'zaqar-policy')
        self.zaqar_data = os.path.join(self.data, 'zaqar')
        self.zaqar_db = os.path.join(self.zaqar_data, 'zaqar.db')
        # Zaqar's processes' operation counts (opcounter).
        self.zaqar_ops = os.path.join(self.data, 'zaqar-ops')
        self.redis_conf = os.path.join(self.etc, 'redis.conf')
        self.redis_data = os.path.join(self.data, 'redis')
        self.rabbit_etc = os.path.join(self.etc, 'rabbitmq')
        self.rabbit_data = os.path.join(self.data, 'rabbitmq')
        self.rabbit_home = os.path.join(self.rabbit_data, 'home')
        self.tempest = os.path.join(j, 'tempest')
        self.tempest_conf = os.path.join(self.tempest, 'etc', 'tempest.conf')
        self.tempest_workspaces = os.path.join(self.etc,
                                               'tempest-workspace.yaml')

    def zaqar_ws_conf_of(self, index):
        """Conf file of websocket server ``index`` (1: zaqar_ws_conf)."""
        if index == 1:
            return self.zaqar_ws_conf
        return os.path.join(self.etc, 'zaqar-websocket-%d.conf' % index)

    def redis_conf_of(self, index):
        """Conf file of Redis server ``index`` (1: redis_conf)."""
        if index == 1:
            return self.redis_conf
        return os.path.join(self.etc, 'redis-%d.conf' % index)

    def redis_data_of(self, index):
        """Data directory of Redis server ``index`` (1: redis_data)."""
        if index == 1:
            return self.redis_data
        return os.path.join(self.data, 'redis-%d' % index)

    def log(self, name):
        """Log file of a service or a setup step."""
        return os.path.join(self.logs, '%s.log' % name)

    def fresh_dirs(self):
        """Directories ``up`` empties and recreates."""
        return [self.etc, self.data]

    def kept_dirs(self):
        """Directories ``up`` creates if missing and otherwise keeps."""
        return [self.logs, self.reports]
