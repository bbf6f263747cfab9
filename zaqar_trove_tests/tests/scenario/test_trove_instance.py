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

"""TRV-3: a real Trove instance whose RPC runs over Zaqar (the trove job).

Everything here goes through Trove's public API (trove-tempest-plugin's
``TroveClient``, registered as ``os_primary.database``): Trove's API,
taskmanager and conductor on the controller and the guest agent in a nova
instance talk to each other only through the deployment's one
``transport_url``, which devstack/plugin.sh set to ``zaqar://`` on both
sides. The evidence that the RPC went over Zaqar rather than RabbitMQ:

* the guest's queues exist in Zaqar, in the project Trove's control plane
  uses (read with ``[zaqar_trove] trove_transport_url``, which plugin.sh
  copies from trove.conf): the topic queue Trove casts to, and a
  server queue that only the guest's own RPC server creates (the driver's
  listener makes its queues before it consumes);
* RabbitMQ, which the deployment still runs for nova, has no queue named
  after the guest's topic: a passive AMQP declare (no management API is
  needed, nor enabled by devstack) answers NOT_FOUND, while the same check
  finds a queue the test itself declares (the control);
* the guest answered: databases and users Trove lists are read from the
  guest by RPC calls, and HEALTHY comes from the guest's heartbeats, which
  reach Trove's conductor by the same transport.

Zaqar keeps no count of messages already consumed (the driver deletes what
it takes), so "traffic" is shown by the queues the guest made and the
answers it gave, not by a message counter.
"""

import importlib.util
import types
from urllib import parse

import amqp.exceptions
import kombu
from oslo_utils import uuidutils
from tempest import config
from tempest.lib import auth
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions
from tempest import test

from zaqar_trove_tests.common import resources
from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.rpc import options as rpc_options
from zaqar_trove_tests.services import messaging

CONF = config.CONF

#: Trove's control_exchange and the topic its guest agents serve.
TROVE_EXCHANGE = 'trove'
GUEST_TOPIC = 'guestagent.%s'
#: A dynamic MySQL option for the configuration group (no restart).
CONFIGURATION_VALUES = {'max_connections': 222}


def wait_for_instance(client, instance_id, what, status='ACTIVE',
                      operating_status='HEALTHY', timeout=None):
    """The instance once Trove shows it in ``status``/``operating_status``.

    ``status=None``: once Trove no longer knows it (deleted). An ERROR
    status ends the wait at once.
    """
    def state():
        try:
            instance = client.get_resource('instances',
                                           instance_id)['instance']
        except exceptions.NotFound:
            return status is None
        if instance['status'] == 'ERROR' and status != 'ERROR':
            raise exceptions.TempestException(
                'instance %s went to ERROR while waiting for %s: %s' % (
                    instance_id, what, instance.get('fault')))
        if status is not None and instance['status'] == status and (
                operating_status is None or
                instance.get('operating_status') == operating_status):
            return instance
        return False

    return waiters.wait_until(
        state, timeout or CONF.database.database_build_timeout,
        interval=5, what='%s (instance %s)' % (what, instance_id))


def trove_zaqar_queues(url):
    """A Zaqar ``QueuesClient`` speaking as Trove's control plane.

    :param url: Trove's ``zaqar://`` transport URL (keystone password
        auth: user and password in the URL, ``auth_url`` and the project
        in its query).
    :returns: ``(queues client, queue prefix)``.
    """
    parts = parse.urlsplit(url)
    userinfo = parts.netloc.split(',')[0].rpartition('@')[0]
    username, _, password = userinfo.partition(':')
    query = dict(parse.parse_qsl(parts.query))
    credentials = auth.KeystoneV3Credentials(
        username=parse.unquote(username), password=parse.unquote(password),
        project_name=query.get('project_name'),
        project_id=query.get('project_id'),
        user_domain_name=query.get('user_domain_name', 'Default'),
        project_domain_name=query.get('project_domain_name', 'Default'))
    auth_url = query['auth_url'].rstrip('/')
    if not auth_url.endswith('/v3'):
        auth_url += '/v3'
    provider = auth.KeystoneV3AuthProvider(
        credentials, auth_url,
        disable_ssl_certificate_validation=(
            CONF.identity.disable_ssl_certificate_validation),
        ca_certs=CONF.identity.ca_certificates_file)
    client = messaging.QueuesClient(
        provider, CONF.zaqar_trove.catalog_type,
        CONF.zaqar_trove.region or CONF.identity.region,
        endpoint_type=CONF.zaqar_trove.endpoint_type,
        disable_ssl_certificate_validation=(
            CONF.identity.disable_ssl_certificate_validation),
        ca_certs=CONF.identity.ca_certificates_file)
    prefix = query.get('queue_prefix') or _default_prefix()
    return client, prefix


def _default_prefix():
    return next(o.default for o in rpc_options.DRIVER_OPTS
                if o.name == 'queue_prefix')


def guest_queues(queue_names, prefix, instance_id):
    """``(topic queue or None, [server queues])`` of the guest in a list.

    A server queue's name holds the guest's host, unknown here: it is
    recognised by its plain components or, when hashed (longer than 64),
    by the readable head the driver keeps (names.queue_name).
    """
    topic = GUEST_TOPIC % instance_id
    topic_queue = names.topic_queue(prefix, TROVE_EXCHANGE, topic)
    plain = names.queue_name(prefix, 'server', TROVE_EXCHANGE, topic, 'x')
    body = plain[len('%s-s-' % prefix):-1]
    start = '%s-sh-' % prefix
    room = names.MAX_LENGTH - len(start) - 1 - names.DIGEST_LENGTH
    hashed_head = start + body[:room]
    servers = []
    for name in queue_names:
        try:
            parsed = names.parse(name)
        except ValueError:
            parsed = None
        if parsed and parsed[1] == 's' and parsed[0] == prefix and \
                parsed[2][:2] == [TROVE_EXCHANGE, topic]:
            servers.append(name)
        elif name.startswith(hashed_head):
            servers.append(name)
    return (topic_queue if topic_queue in queue_names else None), servers


def rabbit_has_queue(url, queue):
    """Whether RabbitMQ at ``url`` (rabbit://) has ``queue`` (passive)."""
    with kombu.Connection(url.replace('rabbit://', 'amqp://', 1),
                          connect_timeout=10) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(queue=queue, passive=True)
        except amqp.exceptions.NotFound:
            return False
        return True


def rabbit_delete_queue(url, queue):
    """Delete ``queue`` from RabbitMQ at ``url`` (rabbit://)."""
    with kombu.Connection(url.replace('rabbit://', 'amqp://', 1),
                          connect_timeout=10) as conn:
        conn.channel().queue_delete(queue=queue)


class TroveInstanceOverZaqarTest(test.BaseTestCase):
    """TRV-3: a MySQL instance of a Trove whose RPC is ``zaqar://``.

    Class steps (resource_setup; each cleanup registered at creation):

    1. A configuration group for the datastore version
       (``max_connections``, a dynamic option); deleted last.
    2. A MySQL instance: ``[database] flavor_id``, a 1 GB volume of
       ``[database] volume_type``, on ``[database] shared_network``.
       Its cleanup deletes it and waits until Trove no longer knows it
       (a deletion that never completes fails the class).
    3. Wait for ACTIVE and HEALTHY (the guest's heartbeats reached Trove).

    Tests (each on the same instance, in any order): a database and a
    user are created and listed; the instance restarts back to HEALTHY;
    the configuration group is attached (Trove's guest applies it); the
    guest's queues are in Zaqar's Trove RPC project; RabbitMQ has none.
    """

    credentials = ['primary']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.zaqar_trove_feature_enabled.trove_over_zaqar:
            raise cls.skipException(
                '[zaqar_trove_feature_enabled] trove_over_zaqar is False: '
                "this deployment's Trove does not run over zaqar://")
        if not CONF.service_available.trove:
            raise cls.skipException('Trove is not available')
        if not CONF.zaqar_trove.trove_transport_url:
            raise cls.skipException(
                "[zaqar_trove] trove_transport_url is not set: Trove's "
                'queues cannot be read')
        if importlib.util.find_spec('trove_tempest_plugin') is None:
            raise cls.skipException(
                "trove-tempest-plugin (Trove's API client) is not "
                'installed here')

    @classmethod
    def setup_credentials(cls):
        # Trove plugs the instance into [database] shared_network.
        cls.set_network_resources()
        super().setup_credentials()

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.client = cls.os_primary.database.TroveClient()
        cls.networks_client = cls.os_primary.networks_client

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.version = cls.datastore_version()
        cls.configuration_id = cls.create_configuration()
        instance = cls.create_instance()
        cls.instance_id = instance['id']
        cls.instance = wait_for_instance(
            cls.client, cls.instance_id, 'ACTIVE and HEALTHY after create')

    @classmethod
    def datastore_version(cls):
        version = CONF.database.default_datastore_versions.get('mysql')
        if version:
            return version
        for datastore in cls.client.list_resources(
                'datastores')['datastores']:
            if datastore['name'] == 'mysql':
                return (datastore.get('default_version') or
                        datastore['versions'][0]['name'])
        raise exceptions.TempestException('Trove offers no mysql datastore')

    @classmethod
    def network_id(cls):
        network = CONF.database.shared_network
        if uuidutils.is_uuid_like(network):
            return network
        found = cls.networks_client.list_networks(name=network)['networks']
        if not found:
            raise exceptions.TempestException(
                '[database] shared_network %s not found' % network)
        return found[0]['id']

    @classmethod
    def create_configuration(cls):
        body = {'configuration': {
            'name': data_utils.rand_name(prefix='ztt', name='trv3-config'),
            'values': CONFIGURATION_VALUES,
            'datastore': {'type': 'mysql', 'version': cls.version}}}
        configuration = cls.client.create_resource(
            'configurations', body)['configuration']
        cls.addClassResourceCleanup(
            cls.client.delete_resource, 'configurations',
            configuration['id'], ignore_notfound=True)
        return configuration['id']

    @classmethod
    def create_instance(cls):
        body = {'instance': {
            'name': data_utils.rand_name(prefix='ztt', name='trv3'),
            'datastore': {'type': 'mysql', 'version': cls.version},
            'flavorRef': CONF.database.flavor_id,
            'volume': {'size': 1, 'type': CONF.database.volume_type},
            'nics': [{'net-id': cls.network_id()}],
        }}
        instance = cls.client.create_resource('instances', body)['instance']
        cls.addClassResourceCleanup(cls.delete_instance, instance['id'])
        return instance

    @classmethod
    def delete_instance(cls, instance_id):
        cls.client.delete_resource('instances', instance_id,
                                   ignore_notfound=True)
        wait_for_instance(cls.client, instance_id, 'deletion', status=None)

    def instance_path(self, *segments):
        return '/'.join(('instances', self.instance_id) + segments)

    @decorators.idempotent_id('660af3d5-219c-4876-bc14-1fd3317c7635')
    def test_database_and_user(self):
        """A database and a user with access to it, listed by Trove.

        Both are casts to the guest; both lists are calls answered by it.
        """
        # MySQL: database names up to 64, user names up to 32 characters.
        database = 'ztt_db_%s' % data_utils.rand_uuid_hex()[:12]
        user = 'ztt_u_%s' % data_utils.rand_uuid_hex()[:10]
        password = data_utils.rand_password()
        self.client.create_resource(
            self.instance_path('databases'),
            {'databases': [{'name': database}]},
            expected_status_code=202, need_response=False)
        self.addCleanup(self.client.delete_resource,
                        self.instance_path('databases'), database,
                        ignore_notfound=True)
        self.client.create_resource(
            self.instance_path('users'),
            {'users': [{'name': user, 'password': password,
                        'databases': [{'name': database}]}]},
            expected_status_code=202, need_response=False)
        self.addCleanup(self.client.delete_resource,
                        self.instance_path('users'), user,
                        ignore_notfound=True)

        def listed():
            databases = self.client.list_resources(
                self.instance_path('databases'))['databases']
            users = self.client.list_resources(
                self.instance_path('users'))['users']
            ours = [u for u in users if u['name'] == user]
            if database in [d['name'] for d in databases] and ours:
                return ours[0]
            return None

        listed_user = waiters.wait_until(
            listed, CONF.database.database_build_timeout, interval=3,
            what='database %s and user %s listed' % (database, user))
        self.assertIn(database,
                      [d['name'] for d in listed_user['databases']])

    @decorators.idempotent_id('7533d48f-00a8-4b74-b911-61dcec7bca14')
    def test_restart(self):
        """The instance restarts (a guest call) and is HEALTHY again."""
        self.client.create_resource(
            self.instance_path('action'), {'restart': {}},
            expected_status_code=202, need_response=False)
        wait_for_instance(self.client, self.instance_id,
                          'ACTIVE and HEALTHY after restart')

    @decorators.idempotent_id('61fc64df-ebc1-4791-abfb-2fbeb7ca9346')
    def test_attach_configuration_group(self):
        """The configuration group is attached and Trove reports it.

        Trove's taskmanager sends the overrides to the guest, which
        applies them; the instance lists the group and the group the
        instance.
        """
        self.client.put_resource(
            self.instance_path(),
            {'instance': {'configuration': self.configuration_id}})
        instance = wait_for_instance(
            self.client, self.instance_id,
            'ACTIVE and HEALTHY with configuration %s'
            % self.configuration_id)
        self.assertEqual(self.configuration_id,
                         instance.get('configuration', {}).get('id'))
        attached = self.client.list_resources(
            'configurations/%s/instances' % self.configuration_id)
        self.assertIn(self.instance_id,
                      [i['id'] for i in attached['instances']])

    @decorators.idempotent_id('0a5ef555-cda0-4ae0-acb3-9e155bf360cc')
    def test_guest_queues_are_in_zaqar(self):
        """The guest's topic and server queues are in Trove's project.

        Read as Trove's control plane (``[zaqar_trove]
        trove_transport_url``): the topic queue Trove casts to, and a
        server queue only the guest's own RPC server creates.
        """
        queues, prefix = trove_zaqar_queues(
            CONF.zaqar_trove.trove_transport_url)
        listed = resources.list_queue_names(
            types.SimpleNamespace(queues=queues))
        topic, servers = guest_queues(listed, prefix, self.instance_id)
        self.assertIsNotNone(topic, 'no topic queue of guest %s in %s' % (
            self.instance_id, sorted(listed)))
        self.assertNotEqual([], servers,
                            'no server queue of guest %s in %s' % (
                                self.instance_id, sorted(listed)))

    @decorators.idempotent_id('773e1a22-18e9-467f-a1a7-dda8a23cbc29')
    def test_rabbitmq_has_no_guest_queue(self):
        """RabbitMQ holds no queue of the guest's topic.

        A passive declare of ``guestagent.<id>`` (the queue oslo's
        RabbitMQ driver would have made for the guest) answers NOT_FOUND;
        the control: the same check finds a queue declared here.
        """
        url = CONF.zaqar_trove.rabbit_transport_url
        if not url:
            raise self.skipException(
                '[zaqar_trove] rabbit_transport_url is not set: no '
                'RabbitMQ to look at')
        control = data_utils.rand_name(prefix='ztt', name='trv3-control')
        with kombu.Connection(url.replace('rabbit://', 'amqp://', 1),
                              connect_timeout=10) as conn:
            channel = conn.channel()
            channel.queue_declare(queue=control, auto_delete=False)
            self.addCleanup(rabbit_delete_queue, url, control)
        self.assertTrue(rabbit_has_queue(url, control))
        self.assertFalse(rabbit_has_queue(url, GUEST_TOPIC %
                                          self.instance_id))
