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

"""Trove's modules, importable beside tempest in one process.

Trove and tempest both register their options on oslo.config's global
``cfg.CONF`` and disagree on some (``[network] public_network_id``):
importing ``trove.common.cfg`` in a tempest worker raises
``DuplicateOptError``. ``load()`` therefore imports Trove while
``cfg.CONF`` is a private ``ConfigOpts``; every Trove module binds that
object (``CONF = cfg.CONF`` at import time), and the global is restored
at once. Trove's code then runs unchanged on its own configuration,
``Trove.conf``, where tests set options with ``set_override``.

Nothing else in this package imports ``trove`` at module level: modules
use the ``Trove`` namespace ``load()`` returns. Where Trove was imported
before ``load()`` (a process of its own), its configuration is used as is.
"""

import contextlib
import importlib
import sys
import threading

from oslo_config import cfg
from oslo_messaging import opts as om_opts

from zaqar_trove_tests.rpc import options as zoptions

#: attribute name -> Trove module, imported in this order.
MODULES = (
    ('cfg', 'trove.common.cfg'),
    ('exception', 'trove.common.exception'),
    ('context', 'trove.common.context'),
    ('crypto', 'trove.common.crypto_utils'),
    ('serializer', 'trove.common.rpc.serializer'),
    ('secure_serializer', 'trove.common.rpc.secure_serializer'),
    ('guest_serializer', 'trove.common.rpc.conductor_guest_serializer'),
    ('host_serializer', 'trove.common.rpc.conductor_host_serializer'),
    ('rpc', 'trove.rpc'),
    ('guest_api', 'trove.guestagent.api'),
    ('conductor_api', 'trove.conductor.api'),
    ('conductor_manager', 'trove.conductor.manager'),
    ('instance_models', 'trove.instance.models'),
    ('instance_tasks', 'trove.instance.tasks'),
    ('service_status', 'trove.instance.service_status'),
    ('backup_models', 'trove.backup.models'),
    ('backup_state', 'trove.backup.state'),
    ('mysql_models', 'trove.common.db.mysql.models'),
    ('db_api', 'trove.db.sqlalchemy.api'),
    ('db_session', 'trove.db.sqlalchemy.session'),
)

# Imported lazily by the modules above (Trove's DB mappers, models that
# bind CONF at import): imported while the private CONF is in place too.
LAZY_MODULES = (
    'trove.cluster.models', 'trove.configuration.models',
    'trove.datastore.models', 'trove.dns.models',
    'trove.extensions.common.models',
    'trove.extensions.security_group.models', 'trove.guestagent.models',
    'trove.module.models', 'trove.quota.models', 'trove.conductor.models',
    'trove.common.notification', 'trove.common.debug_utils',
    'trove.common.db.models',
)

_LOCK = threading.Lock()
_LOADED = None


class Trove:
    """Trove's modules (attributes named as in ``MODULES``) and ``conf``."""

    def __init__(self, modules):
        for name, module in modules.items():
            setattr(self, name, module)
        self.conf = self.cfg.CONF


def load():
    """The ``Trove`` namespace; imports Trove on the first call."""
    global _LOADED
    with _LOCK:
        if _LOADED is None:
            _LOADED = _import()
        return _LOADED


def import_module(path):
    """Import one more Trove module (after ``load()``) the same way."""
    trove = load()
    with trove_conf(trove.conf):
        return importlib.import_module(path)


@contextlib.contextmanager
def trove_conf(conf):
    """Make ``conf`` oslo.config's global ``cfg.CONF`` for a while."""
    saved = cfg.CONF
    cfg.CONF = conf
    try:
        yield
    finally:
        cfg.CONF = saved


def _import():
    conf = (sys.modules['trove.common.cfg'].CONF
            if 'trove.common.cfg' in sys.modules else cfg.ConfigOpts())
    with trove_conf(conf):
        modules = {name: importlib.import_module(path)
                   for name, path in MODULES}
        for path in LAZY_MODULES:
            importlib.import_module(path)
    trove = Trove(modules)
    register_messaging_opts(trove.conf)
    return trove


def register_messaging_opts(conf):
    """Register oslo.messaging's options on ``conf``.

    So ``control_exchange`` can be overridden before a transport exists,
    and a private ``ConfigOpts`` works with every driver.
    """
    for group, opts in om_opts.list_opts():
        for opt in opts:
            try:
                conf.register_opt(opt, group=group)
            except cfg.DuplicateOptError:
                pass
    zoptions.register_global_only_opts(conf)
