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

"""The warm-start cache: what a cold ``up`` computed, reused next time.

Keystone's database (bootstrapped, with our projects, users and roles),
its fernet and credential keys, Zaqar's empty database and the secrets
they were made with live under
``$XDG_CACHE_HOME/zaqar-trove-tests/<key>/``. The key hashes the versions
of everything that shapes them (packages, Python, our setup code), so a
stale cache is never used: it simply is not found.
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import sys
import tempfile

#: Bump when what the cache holds changes shape.
FORMAT = 1
PACKAGES = ('keystone', 'zaqar', 'SQLAlchemy', 'alembic', 'oslo.db')
#: Our modules whose code shapes the cached data.
SOURCES = ('configs.py', 'identity.py', 'keystone_setup.py',
           'zaqar_setup.py', 'cache.py')


def root():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'zaqar-trove-tests')


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def key():
    """Hex digest naming the cache entry valid for this installation."""
    digest = hashlib.sha256()
    facts = {'format': FORMAT, 'python': list(sys.version_info[:2]),
             'packages': {p: _version(p) for p in PACKAGES}}
    digest.update(json.dumps(facts, sort_keys=True).encode())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in SOURCES:
        with open(os.path.join(here, name), 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()[:20]


def _copy_db(src, dst, wal=False):
    """Consistent copy of a sqlite database, even while it is in use."""
    source = sqlite3.connect(src)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
        if wal:
            target.execute('PRAGMA journal_mode=WAL')
    finally:
        target.close()
        source.close()


class WarmCache:
    """One cache entry."""

    def __init__(self, directory=None):
        self.dir = directory or os.path.join(root(), key())

    def exists(self):
        return os.path.isfile(os.path.join(self.dir, 'secrets.json'))

    def secrets(self):
        with open(os.path.join(self.dir, 'secrets.json')) as f:
            return json.load(f)

    def restore(self, paths):
        """Put the cached databases and keys where ``paths`` wants them."""
        for sub in ('fernet-keys', 'credential-keys'):
            target = getattr(paths, sub.replace('-', '_'))
            shutil.copytree(os.path.join(self.dir, sub), target)
            os.chmod(target, 0o700)
        _copy_db(os.path.join(self.dir, 'keystone.db'), paths.keystone_db)
        _copy_db(os.path.join(self.dir, 'zaqar.db'), paths.zaqar_db, wal=True)

    def save(self, paths, secrets):
        """Store the state of a fresh stack; the first writer wins."""
        parent = os.path.dirname(self.dir)
        os.makedirs(parent, mode=0o700, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.new-', dir=parent)
        try:
            shutil.copytree(paths.fernet_keys,
                            os.path.join(tmp, 'fernet-keys'))
            shutil.copytree(paths.credential_keys,
                            os.path.join(tmp, 'credential-keys'))
            _copy_db(paths.keystone_db, os.path.join(tmp, 'keystone.db'))
            _copy_db(paths.zaqar_db, os.path.join(tmp, 'zaqar.db'))
            fd = os.open(os.path.join(tmp, 'secrets.json'),
                         os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, 'w') as f:
                json.dump(secrets, f)
            os.rename(tmp, self.dir)
        except OSError:
            if not self.exists():
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
