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

"""Create Zaqar's management-store tables in a new sqlite database.

Zaqar's alembic migrations only run on MySQL, so the tables come from its
SQLAlchemy metadata: ``python -m zaqar_trove_tests.stack.zaqar_setup
DB_PATH``. Write-ahead logging lets the API workers read while one
writes.
"""

import sys

import sqlalchemy
from zaqar.storage.sqlalchemy import tables


def main(argv=None):
    path = (argv or sys.argv[1:])[0]
    engine = sqlalchemy.create_engine('sqlite:///%s' % path)
    with engine.begin() as conn:
        conn.exec_driver_sql('PRAGMA journal_mode=WAL')
    tables.metadata.create_all(engine)
    engine.dispose()


if __name__ == '__main__':
    main()
