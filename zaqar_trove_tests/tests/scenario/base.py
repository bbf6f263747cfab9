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

"""Base of the Trove scenario tests: Trove's control plane on a transport.

Trove's own code (``guest.controlplane``: its database, options,
``trove.guestagent.api.API`` and conductor) runs in the test process over
the class's transport; guest stand-ins (``guest.service``) answer it.
"""

import importlib.util
import uuid

from tempest import config
from tempest import test

from zaqar_trove_tests.common import clients
from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common.rpc import urls as rpc_urls
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.guest import controlplane
from zaqar_trove_tests.guest import service
from zaqar_trove_tests.guest import troveenv

CONF = config.CONF

#: Transport name -> the [zaqar_trove] option holding its URL.
URL_OPTIONS = {'zaqar': 'zaqar_transport_url',
               'rabbit': 'rabbit_transport_url'}


class TroveScenarioTest(test.BaseTestCase):
    """Trove's control plane on ``transport`` (``zaqar`` or ``rabbit``).

    On ``zaqar`` it authenticates as the class's primary credentials
    (``own_project``), so its queues are in a project of the class's own:
    ``cls.zaqar`` (REST clients of that project) reads them, and they are
    deleted with the class. ``trove_options``: Trove options
    (``{name: value}``) for the class; Trove's defaults otherwise (secure
    RPC on). ``conductor_queue``: Trove's conductor topic; by default one
    of the class's own, as classes running in parallel share RabbitMQ (and
    on Zaqar a project): on one topic their conductors would take each
    other's guests' heartbeats.
    """

    credentials = ['primary']
    transport = None
    own_project = True
    trove_options = {}
    conductor_queue = None

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not getattr(CONF.zaqar_trove, URL_OPTIONS[cls.transport]):
            raise cls.skipException('[zaqar_trove] %s is not set'
                                    % URL_OPTIONS[cls.transport])
        if cls.transport == 'zaqar' and not CONF.service_available.zaqar:
            raise cls.skipException('Zaqar is not available')
        if importlib.util.find_spec('trove') is None:
            raise cls.skipException('trove is not installed here')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.zaqar = (clients.ZaqarClients(cls.os_primary)
                     if cls.transport == 'zaqar' else None)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.trove = troveenv.load()
        cls.transport_url = cls.control_url()
        if cls.zaqar is not None and cls.own_project:
            # Registered first, runs last: after Trove's RPC stopped.
            cls.addClassResourceCleanup(delete_queues, cls.zaqar)
        options = dict(cls.trove_options, conductor_queue=(
            cls.conductor_queue or 'ztt-conductor-%s' % uuid.uuid4().hex[:8]))
        cls.control = controlplane.ControlPlane(
            cls.trove, cls.transport_url, overrides=options)
        cls.addClassResourceCleanup(cls.control.close)
        cls.control.start_conductor()

    @classmethod
    def control_url(cls):
        """The control plane's transport URL."""
        url = getattr(CONF.zaqar_trove, URL_OPTIONS[cls.transport])
        if cls.transport == 'zaqar' and cls.own_project:
            url = rpc_urls.for_credentials(url, cls.os_primary.credentials)
        return url

    @classmethod
    def start_guest(cls, instance_id, cleanup, url=None, key=None,
                    **kwargs):
        """A started stand-in of the instance (its own key by default).

        :param cleanup: ``addCleanup`` or ``addClassResourceCleanup``.
        :param url: its transport (the control plane's by default).
        """
        if key is None:
            key = cls.control.instance_key(instance_id)
        guest = service.GuestStandIn(instance_id, url or cls.transport_url,
                                     key=key, **kwargs)
        guest.start()
        cleanup(guest.stop)
        return guest


def schema(trove, name):
    """A database as Trove's API sends it (a serialized MySQLSchema)."""
    return trove.mysql_models.MySQLSchema(name=name).serialize()


def user(trove, name, password, databases=()):
    """A user as Trove's API sends it (a serialized MySQLUser)."""
    return trove.mysql_models.MySQLUser(
        name=name, password=password, databases=list(databases)).serialize()


def rand_name(prefix):
    """A random database or user name MySQL accepts (at most 16)."""
    return '%s%s' % (prefix, uuid.uuid4().hex[:10])


def wait_for(predicate, what, timeout=None):
    """``waiters.wait_until`` with the plugin's build timeout."""
    return waiters.wait_until(
        predicate, timeout or CONF.zaqar_trove.build_timeout, interval=0.2,
        what=what)


def delete_queues(zaqar):
    """Delete every queue of the project of ``zaqar`` (ZaqarClients)."""
    for name in resources.list_queue_names(zaqar):
        zaqar.queues.delete_queue(name)


def check_database_and_restart(control, trove, instance_id, where=''):
    """The guest's effects reach Trove, through casts and heartbeats.

    A create_database cast shows in list_databases; stop_db makes the
    instance SHUTDOWN in Trove's database (its heartbeat, through Trove's
    conductor), restart makes it HEALTHY again.
    """
    status = control.service_status
    api = control.guest_api(instance_id)
    db = rand_name('db')
    api.create_database([schema(trove, db)])
    wait_for(lambda: db in [d['_name'] for d in api.list_databases()[0]],
             'database %s on %s%s' % (db, where, instance_id))
    api.stop_db()
    wait_for(lambda: status(instance_id) == 'shutdown',
             '%s SHUTDOWN in Trove' % instance_id)
    api.restart()
    wait_for(lambda: status(instance_id) == 'healthy',
             '%s HEALTHY in Trove' % instance_id)
