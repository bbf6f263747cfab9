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

"""The plugin's configuration: one list, read by registration and sampling.

``OPT_GROUPS`` is the only place an option is declared. ``register_opts``,
the tempest plugin's ``get_opt_lists`` and ``opts.list_opts`` all derive
from it, so they cannot drift apart.

``[service_available]`` ``zaqar`` and ``trove`` are also declared by
zaqar-tempest-plugin and trove-tempest-plugin. oslo.config refuses a second,
different definition of an option, and tempest only logs that refusal, so
the plugin registered second would silently lose its options. Where one of
those plugins is installed we therefore register its very ``Opt`` object:
any registration order then works for all three.
"""

import importlib

from oslo_config import cfg


def _shared_flag(name, owner, default, help):
    """The ``[service_available]`` flag ``owner`` declares, or ours."""
    try:
        return importlib.import_module(owner).service_option
    except (ImportError, AttributeError):
        return cfg.BoolOpt(name, default=default, help=help)


service_available_group = cfg.OptGroup(
    name='service_available', title='Available OpenStack Services')

SERVICE_AVAILABLE_OPTS = [
    _shared_flag('zaqar', 'zaqar_tempest_plugin.config', default=True,
                 help='Whether or not Zaqar is expected to be available.'),
    _shared_flag('trove', 'trove_tempest_plugin.config', default=False,
                 help='Whether or not Trove is expected to be available.'),
]

zaqar_trove_group = cfg.OptGroup(
    name='zaqar_trove',
    title='Zaqar-as-Trove-transport test options',
    help='Where the Zaqar API is, how long to wait for it and the '
         'transports the RPC contracts run on.')

ZAQAR_TROVE_OPTS = [
    cfg.StrOpt('catalog_type', default='messaging',
               help='Catalog type of the Zaqar HTTP API.'),
    cfg.StrOpt('websocket_catalog_type', default='messaging-websocket',
               help='Catalog type of the Zaqar websocket API.'),
    cfg.StrOpt('endpoint_type', default='publicURL',
               choices=['public', 'admin', 'internal',
                        'publicURL', 'adminURL', 'internalURL'],
               help='Endpoint type of the Zaqar API.'),
    cfg.StrOpt('region', default='',
               help='Region of the Zaqar endpoints; empty means '
                    '[identity] region.'),
    cfg.IntOpt('build_interval', default=1,
               help='Seconds between polls while waiting for a state.'),
    cfg.IntOpt('build_timeout', default=60,
               help='Seconds to wait for a state before failing.'),
    cfg.IntOpt('max_messages_post_size', default=262144,
               help="Zaqar's [transport] max_messages_post_size (bytes): "
                    'the size limit the DEL-6 tests probe.'),
    cfg.IntOpt('max_messages_per_page', default=20,
               help="Zaqar's [transport] max_messages_per_page."),
    cfg.IntOpt('competing_consumers', default=8,
               help='DEL-1: number of competing consumers.'),
    cfg.IntOpt('competing_messages', default=400,
               help='DEL-1: number of messages the consumers share.'),
    cfg.StrOpt('zaqar_transport_url', default='',
               help='oslo.messaging transport URL of the zaqar:// driver '
                    'under test (zaqar://user:password@host:port/). Empty '
                    'skips the RPC contracts on Zaqar.'),
    cfg.StrOpt('rabbit_transport_url', default='',
               help='oslo.messaging transport URL of the RabbitMQ control '
                    'transport. Empty skips the RabbitMQ control runs.'),
    cfg.StrOpt('trove_transport_url', default='', secret=True,
               help="The transport URL of the deployment's Trove control "
                    "plane (trove.conf [DEFAULT] transport_url, a zaqar:// "
                    'URL): TRV-3 reads the queues of Trove\'s RPC project '
                    'with it. Empty skips TRV-3.'),
    cfg.StrOpt('stack_state_dir', default='',
               help='State directory of a local stack this run may stop '
                    'and restart services of (fault tests). Empty skips '
                    'the fault tests.'),
    cfg.ListOpt('remote_guest_ids', default=[],
                help='Instance ids served by guest-agent stand-ins running '
                     'on another node (devstack service ztt-guest, the '
                     'multinode job). Empty skips the remote-guest '
                     'scenario tests.'),
    cfg.IntOpt('rpc_casts', default=1000, min=1,
               help='RPC-6: number of casts spread over a group of '
                    'servers, each to be delivered exactly once.'),
]

feature_group = cfg.OptGroup(
    name='zaqar_trove_feature_enabled',
    title='Zaqar features the deployment under test offers')

FEATURE_OPTS = [
    cfg.BoolOpt('websocket', default=True,
                help='The Zaqar websocket API is deployed and in the '
                     'catalog.'),
    cfg.BoolOpt('signed_urls', default=True,
                help='Pre-signed URLs are enabled ([signed_url] '
                     'secret_key is set).'),
    cfg.BoolOpt('fifo', default=True,
                help='The message store promises FIFO order per queue '
                     '(redis does).'),
    cfg.BoolOpt('push', default=True,
                help='Subscriptions push (the notifier message pipeline '
                     'is enabled).'),
    cfg.BoolOpt('trove_over_zaqar', default=False,
                help="The deployment's Trove (control plane and guests) "
                     'uses the zaqar:// transport, so a real Trove instance '
                     'can be created (TRV-3).'),
]

OPT_GROUPS = [
    (service_available_group, SERVICE_AVAILABLE_OPTS),
    (zaqar_trove_group, ZAQAR_TROVE_OPTS),
    (feature_group, FEATURE_OPTS),
]


def register_opts(conf):
    """Register every group of ``OPT_GROUPS`` on ``conf``.

    An option another plugin already registered with a different
    definition keeps that definition.
    """
    for group, opts in OPT_GROUPS:
        conf.register_group(group)
        for opt in opts:
            try:
                conf.register_opt(opt, group=group)
            except cfg.DuplicateOptError:
                pass


def opt_lists():
    """``(group name, opts)`` pairs, as tempest and the generator want."""
    return [(group.name, opts) for group, opts in OPT_GROUPS]
