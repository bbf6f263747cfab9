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

"""Create Keystone's database, key repositories and bootstrap identity.

Runs in its own process (importing Keystone costs seconds), only when no
warm cache applies: ``python -m zaqar_trove_tests.stack.keystone_setup
CONFIG_FILE IDENTITY_URL REGION`` with the admin password in
``$ZTT_ADMIN_PASSWORD``. The result is the equivalent of
``keystone-manage db_sync; fernet_setup; credential_setup; bootstrap``
in one interpreter.
"""

import argparse
import os

from keystone.cmd import bootstrap
from keystone.common import fernet_utils
from keystone.common import sql
from keystone.common.sql import upgrades
import keystone.conf
# The fernet package re-exports a different 'core': import the name.
from keystone.credential.providers.fernet.core import MAX_ACTIVE_KEYS

from zaqar_trove_tests.stack import configs

CONF = keystone.conf.CONF


def _configure(config_file):
    keystone.conf.configure()
    sql.initialize()
    keystone.conf.set_config_defaults()
    CONF(args=[], project='keystone', default_config_files=[config_file],
         default_config_dirs=[])
    keystone.conf.setup_logging()


def _key_repository(path, max_active_keys, group):
    keys = fernet_utils.FernetUtils(path, max_active_keys, group)
    keys.create_key_directory()
    if keys.validate_key_repository(requires_write=True):
        keys.initialize_key_repository()


def _bootstrap(url, region, password):
    boot = bootstrap.Bootstrapper()
    boot.admin_username = configs.ADMIN_USER
    boot.admin_password = password
    boot.project_name = configs.ADMIN_PROJECT
    boot.admin_role_name = 'admin'
    boot.service_name = 'keystone'
    boot.public_url = boot.internal_url = boot.admin_url = url
    boot.region_id = region
    boot.immutable_roles = True
    boot.bootstrap()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config_file')
    parser.add_argument('identity_url')
    parser.add_argument('region')
    args = parser.parse_args(argv)
    _configure(args.config_file)
    upgrades.offline_sync_database_to_version()
    # fernet_receipts shares the tokens' repository (see keystone.conf).
    _key_repository(CONF.fernet_tokens.key_repository,
                    CONF.fernet_tokens.max_active_keys, 'fernet_tokens')
    _key_repository(CONF.credential.key_repository,
                    MAX_ACTIVE_KEYS, 'credential')
    _bootstrap(args.identity_url, args.region,
               os.environ['ZTT_ADMIN_PASSWORD'])


if __name__ == '__main__':
    main()
