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

"""``python -m zaqar_trove_tests.guest --config-file FILE``.

Serves one guest stand-in per id of ``[zaqar_trove_guest] instance_ids``
(exchange ``control_exchange``, Trove's is ``trove``) until SIGTERM or
SIGINT, then stops them and exits 0. Each stand-in uses the
``transport_url`` of ``credentials_dir/<id>/trove-guestagent.conf`` (the
per-guest configuration ``zaqar_trove_tests.rpc.provision`` writes: its
own grants only) or, without ``credentials_dir``, ``[DEFAULT]
transport_url``. The
devstack plugin runs it as service ``ztt-guest`` on the multinode job's
subnode; tempest's ``[zaqar_trove] remote_guest_ids`` names the same ids.
"""

import logging
import os
import signal
import sys
import threading

from oslo_config import cfg

from zaqar_trove_tests.guest import service
from zaqar_trove_tests.guest import troveenv
from zaqar_trove_tests.rpc import provision

LOG = logging.getLogger('zaqar_trove_tests.guest')

guest_group = cfg.OptGroup('zaqar_trove_guest',
                           title='Guest-agent stand-ins')

GUEST_OPTS = [
    cfg.ListOpt('instance_ids', default=[],
                help='Trove instance ids to serve, one stand-in each.'),
    cfg.DictOpt('instance_keys', default={}, secret=True,
                help="Instance id -> the instance's RPC key (Trove's "
                     'enable_secure_rpc_messaging); an instance without '
                     'one uses plain RPC.'),
    cfg.StrOpt('credentials_dir',
               help='A directory of per-guest configurations '
                    '(<id>/trove-guestagent.conf, written by '
                    'zaqar_trove_tests.rpc.provision): each stand-in uses '
                    "its own guest's transport_url."),
    cfg.BoolOpt('report', default=True,
                help="Send heartbeats and backup updates to Trove's "
                     'conductor, as a guest agent does.'),
]


def list_opts():
    return [(guest_group, GUEST_OPTS)]


def parse(argv):
    """The stand-ins' ConfigOpts from command-line arguments."""
    conf = cfg.ConfigOpts()
    troveenv.register_messaging_opts(conf)
    conf.register_group(guest_group)
    conf.register_opts(GUEST_OPTS, group=guest_group)
    conf.register_cli_opt(cfg.BoolOpt('debug', default=False,
                                      help='Log at DEBUG level.'))
    conf(argv, project='zaqar-trove-tests', prog='zaqar_trove_tests.guest')
    if not conf.zaqar_trove_guest.instance_ids:
        raise SystemExit('[zaqar_trove_guest] instance_ids is empty: '
                         'nothing to serve')
    if not (conf.transport_url or conf.zaqar_trove_guest.credentials_dir):
        raise SystemExit('[DEFAULT] transport_url and [zaqar_trove_guest] '
                         'credentials_dir are both unset')
    return conf


def guest_url(conf, instance_id):
    """The transport URL of ``instance_id``'s stand-in."""
    directory = conf.zaqar_trove_guest.credentials_dir
    if not directory:
        return conf.transport_url
    path = os.path.join(directory, instance_id, provision.GUEST_CONF)
    url = provision.configured_url(path)
    if not url:
        raise SystemExit('%s sets no [DEFAULT] transport_url' % path)
    return url


def serve(conf, stop):
    """Serve every instance of ``conf`` until ``stop`` (an Event) is set."""
    group = conf.zaqar_trove_guest
    guests = []
    try:
        for instance_id in group.instance_ids:
            guest = service.GuestStandIn(
                instance_id, guest_url(conf, instance_id),
                key=group.instance_keys.get(instance_id),
                report=group.report, conf=conf)
            guests.append(guest.start())
            LOG.info('Serving guestagent.%s (%s RPC)', instance_id,
                     'secure' if guest.key else 'plain')
        stop.wait()
    finally:
        for guest in guests:
            try:
                guest.stop()
            except Exception:
                LOG.exception('Stopping the stand-in of %s failed',
                              guest.instance_id)
    LOG.info('Stopped %d stand-in(s)', len(guests))


def main(argv=None):
    conf = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if conf.debug else logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    # One process of stand-ins: Trove's MySQL options, without a warning
    # on every validated name.
    troveenv.load().conf.set_override('datastore_manager', 'mysql')
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serve(conf, stop)
    return 0
