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

"""Per-guest credentials for Trove guests on ``zaqar://``.

A guest gets pre-signed URLs ("grants") for its own queues only -- its
server and topic queues (``guestagent.<id>``: read, claim, delete), its
fanout queue (read) -- and a POST grant on the conductor's topic, minted
by the control plane (``ZaqarDriver.share_server_queues``). Its transport
URL holds no keystone credentials: ``auth=signed`` and the path of its
grants file (signed guests poll; the websocket API would not honour a
grant's queue, README Findings ``websocket-signed-url-scope``).

``guest_url`` and ``render`` are pure; ``mint`` and ``provision`` ask
Zaqar (through the control plane's transport). The command line does it
for each instance id and writes ``DIR/<id>/trove-guestagent.conf`` (the
guest's ``[DEFAULT] transport_url``) and ``DIR/<id>/zaqar-grants.json``;
it reads the control plane's URL from ``$ZTT_CONTROL_TRANSPORT_URL``, so
no password is on a command line::

    ZTT_CONTROL_TRANSPORT_URL=zaqar://trove-rpc:...@ctl/messaging?... \\
    python -m zaqar_trove_tests.rpc.provision --out-dir DIR \\
        --guest-url zaqar://ctl:80/messaging ID [ID ...]
"""

import argparse
import datetime
import json
import os
import sys
from urllib import parse

from oslo_config import cfg
import oslo_messaging as om

#: The files a guest needs, as ``render`` names them.
GUEST_CONF = 'trove-guestagent.conf'
GRANTS_FILE = 'zaqar-grants.json'
#: Where Trove injects a guest's configuration (``injected_config_location``).
GUEST_CONF_DIR = '/etc/trove/conf.d'
CONTROL_URL_ENV = 'ZTT_CONTROL_TRANSPORT_URL'
#: Trove's defaults: ``control_exchange`` and ``conductor_queue``.
EXCHANGE = 'trove'
CONDUCTOR_TOPIC = 'trove-conductor'
DEFAULT_LIFETIME = datetime.timedelta(days=1)

#: Query parameters only the control plane's URL may carry.
_CONTROL_QUERY = frozenset([
    'auth', 'auth_mode', 'auth_url', 'delivery', 'password', 'project_id',
    'project_domain_id', 'project_domain_name', 'project_name', 'token',
    'user_domain_id', 'user_domain_name', 'username', 'websocket_url',
    'signed_urls_file'])


def guest_target(instance_id, exchange=EXCHANGE):
    """The target Trove's guest agent for ``instance_id`` serves."""
    return om.Target(exchange=exchange, topic='guestagent.%s' % instance_id,
                     server=instance_id)


def expiry(lifetime=DEFAULT_LIFETIME, now=None):
    """Zaqar's ``expires`` (``YYYY-MM-DDTHH:MM:SS``, UTC) ``lifetime`` on."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (now + lifetime).strftime('%Y-%m-%dT%H:%M:%S')


def guest_url(url, grants_path):
    """``url`` for a guest holding only the grants in ``grants_path``.

    :param url: a ``zaqar://`` URL of the Zaqar the guest reaches; its
        credentials, keystone and delivery parameters are dropped (TLS
        parameters such as ``cafile`` stay).
    """
    parts = parse.urlsplit(url)
    hosts = ','.join(h.rpartition('@')[2] for h in parts.netloc.split(','))
    query = [(k, v) for k, v in parse.parse_qsl(parts.query,
                                                keep_blank_values=True)
             if k not in _CONTROL_QUERY]
    query += [('auth', 'signed'), ('signed_urls_file', grants_path)]
    return parse.urlunsplit((parts.scheme, hosts, parts.path,
                             parse.urlencode(query, safe=':/'), ''))


def render(url, grants, grants_path=None):
    """``{file name: text}`` a guest needs (pure).

    :param url: as for ``guest_url``.
    :param grants: the guest's grants (``mint``).
    :param grants_path: where the guest will find its grants file
        (default: ``GUEST_CONF_DIR``).
    """
    grants_path = grants_path or os.path.join(GUEST_CONF_DIR, GRANTS_FILE)
    return {
        GUEST_CONF: '[DEFAULT]\ntransport_url = %s\n' % guest_url(
            url, grants_path),
        GRANTS_FILE: json.dumps(grants, indent=1, sort_keys=True) + '\n',
    }


def mint(transport, instance_id, expires, exchange=EXCHANGE,
         conductor_topic=CONDUCTOR_TOPIC):
    """The grants of ``instance_id``'s guest (asks Zaqar).

    :param transport: the control plane's ``zaqar://`` transport.
    """
    driver = transport._driver
    return driver.share_server_queues(
        guest_target(instance_id, exchange), expires,
        send_topics=[(exchange, conductor_topic)])


def provision(transport, url, instance_id, expires, grants_path=None,
              **kwargs):
    """``render`` of freshly minted grants (``mint`` arguments)."""
    return render(url, mint(transport, instance_id, expires, **kwargs),
                  grants_path)


def write(directory, files):
    """Write ``render``'s files into ``directory`` (owner-only)."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    paths = {}
    for name, text in files.items():
        path = paths[name] = os.path.join(directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
    return paths


def configured_url(path):
    """``[DEFAULT] transport_url`` of the config file ``path``.

    Read with oslo.config, as Trove's guest agent reads it.
    """
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.StrOpt('transport_url', secret=True))
    conf(['--config-file', path], project='zaqar-trove-guest',
         default_config_files=[], default_config_dirs=[])
    return conf.transport_url


def _parser():
    p = argparse.ArgumentParser(
        prog='python -m zaqar_trove_tests.rpc.provision',
        description='Mint per-guest grants and write each guest\'s '
                    'trove-guestagent.conf and grants file (control plane '
                    'URL from $%s).' % CONTROL_URL_ENV)
    p.add_argument('instance_ids', nargs='+', metavar='ID')
    p.add_argument('--out-dir', required=True,
                   help='writes OUT_DIR/<id>/{%s,%s}' % (GUEST_CONF,
                                                         GRANTS_FILE))
    p.add_argument('--guest-url', required=True,
                   help='a zaqar:// URL of the Zaqar guests reach')
    p.add_argument('--grants-path',
                   help='the grants file as the guest sees it; {id} is '
                        'the instance id (default: the file written)')
    p.add_argument('--hours', type=float,
                   default=DEFAULT_LIFETIME.total_seconds() / 3600,
                   help='lifetime of the grants')
    p.add_argument('--exchange', default=EXCHANGE)
    p.add_argument('--conductor-topic', default=CONDUCTOR_TOPIC)
    return p


def main(argv=None, environ=None):
    args = _parser().parse_args(argv)
    control_url = (os.environ if environ is None else environ).get(
        CONTROL_URL_ENV)
    if not control_url:
        _parser().error('$%s is not set' % CONTROL_URL_ENV)
    expires = expiry(datetime.timedelta(hours=args.hours))
    transport = om.get_rpc_transport(cfg.ConfigOpts(), control_url)
    try:
        for instance_id in args.instance_ids:
            directory = os.path.join(args.out_dir, instance_id)
            grants_path = (args.grants_path.replace('{id}', instance_id)
                           if args.grants_path else
                           os.path.join(directory, GRANTS_FILE))
            paths = write(directory, provision(
                transport, args.guest_url, instance_id, expires, grants_path,
                exchange=args.exchange, conductor_topic=args.conductor_topic))
            print(paths[GUEST_CONF])
    finally:
        transport.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
