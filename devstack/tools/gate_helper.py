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

"""What devstack/plugin.sh cannot do safely in bash.

``url``        print a ``zaqar://`` transport URL, credentials quoted.
``host``       print the host of a transport URL (``rabbit://u:p@HOST:5672/``).
``cloudinit``  print a Trove datastore cloud-config (``#cloud-config`` YAML)
               with a ``bootcmd`` entry that installs the zaqar:// driver into
               the guest agent's virtualenv before the agent starts (cloud-init
               runs ``bootcmd`` before ``sysinit.target``, the agent after):
               offline, from the wheels the controller serves, or from the
               guest's package index.

Run by devstack's python (stdlib and PyYAML only); never imported by the
package.
"""

import argparse
import shlex
import sys
from urllib import parse

import yaml

#: The driver's distribution (this repository's setup.cfg name).
DRIVER_DIST = 'zaqar-trove-tests'
#: ``cloud-init-per`` name of our bootcmd entry; replaced, never duplicated.
BOOTCMD_NAME = 'zaqar-trove-driver'
CLOUD_CONFIG_HEADER = '#cloud-config\n'


def transport_url(user, password, host, port, auth_url, project,
                  user_domain='Default', project_domain='Default',
                  path='', websocket_url='', tls=False, cafile=''):
    """A ``zaqar://`` URL in the driver's format (see rpc/settings.py).

    ``tls``: ``zaqar+https://``; ``cafile`` (the CA bundle to trust, for
    Zaqar and keystone alike) goes into the query.
    """
    scheme = 'zaqar+https' if tls else 'zaqar'
    netloc = '%s:%s@%s:%d' % (parse.quote(user, safe=''),
                              parse.quote(password, safe=''), host, port)
    query = [('auth_url', auth_url), ('project_name', project),
             ('user_domain_name', user_domain),
             ('project_domain_name', project_domain)]
    if websocket_url:
        query.append(('websocket_url', websocket_url))
    if cafile:
        query.append(('cafile', cafile))
    return '%s://%s/%s?%s' % (scheme, netloc, path.strip('/'),
                              parse.urlencode(query, safe=':/'))


def url_host(url):
    """The host of the first host of a transport URL."""
    netloc = parse.urlsplit(url).netloc.split(',')[0]
    host = netloc.rpartition('@')[2]
    if host.startswith('['):
        return host[1:host.index(']')]
    return host.partition(':')[0]


def guest_install_script(mode, venv, deps, wheel_url='', pip_spec='',
                         constraints=''):
    """Bash that installs the driver into the guest agent's venv.

    ``controller`` mode installs from the wheels the plugin built on the
    controller (the driver and every dependency in ``deps``), which its
    Apache serves at ``wheel_url``: ``pip --no-index --find-links``, so
    the guest needs no package index. ``pip`` mode installs ``deps`` and
    ``pip_spec`` from the guest's package index (with ``constraints``).
    A failure stops the script (``set -eu``) and leaves the agent unable
    to load the driver, which the instance's console log shows.
    """
    q = shlex.quote
    pip = q('%s/bin/pip' % venv)
    lines = ['set -eu']
    if mode == 'controller':
        offline = '%s install --no-index --find-links %s --retries 10' % (
            pip, q(wheel_url))
        if deps:
            lines.append('%s %s' % (offline, ' '.join(q(d) for d in deps)))
        lines.append('%s --no-deps %s' % (offline, q(DRIVER_DIST)))
    elif mode == 'pip':
        if deps:
            lines.append('%s install -c %s %s' % (
                pip, q(constraints), ' '.join(q(d) for d in deps)))
        lines.append('%s install --no-deps %s' % (pip, q(pip_spec)))
    else:
        raise ValueError('unknown guest install mode %r' % mode)
    return '\n'.join(lines) + '\n'


def merge_cloudinit(text, script):
    """``text`` (a cloud-config) with our bootcmd entry set to ``script``."""
    data = yaml.safe_load(text) if text.strip() else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError('not a cloud-config mapping')
    entry = ['cloud-init-per', 'instance', BOOTCMD_NAME,
             '/bin/bash', '-c', script]
    bootcmd = [c for c in data.get('bootcmd') or []
               if not (isinstance(c, list) and BOOTCMD_NAME in c[:3])]
    bootcmd.append(entry)
    data['bootcmd'] = bootcmd
    return CLOUD_CONFIG_HEADER + yaml.safe_dump(data, default_flow_style=False)


def _parser():
    p = argparse.ArgumentParser(prog='gate_helper.py')
    sub = p.add_subparsers(dest='command', required=True)
    u = sub.add_parser('url')
    for name in ('user', 'password', 'host', 'auth-url', 'project'):
        u.add_argument('--' + name, required=True)
    u.add_argument('--port', type=int, required=True)
    u.add_argument('--user-domain', default='Default')
    u.add_argument('--project-domain', default='Default')
    u.add_argument('--path', default='')
    u.add_argument('--websocket-url', default='')
    u.add_argument('--tls', action='store_true')
    u.add_argument('--cafile', default='')
    h = sub.add_parser('host')
    h.add_argument('url')
    c = sub.add_parser('cloudinit')
    c.add_argument('file')
    c.add_argument('--mode', choices=('controller', 'pip'), required=True)
    c.add_argument('--venv', default='/opt/guest-agent-venv')
    c.add_argument('--constraints', default='/opt/upper-constraints.txt')
    c.add_argument('--deps', default='')
    c.add_argument('--wheel-url', default='')
    c.add_argument('--pip-spec', default='')
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == 'url':
        print(transport_url(args.user, args.password, args.host, args.port,
                            args.auth_url, args.project, args.user_domain,
                            args.project_domain, args.path,
                            args.websocket_url, args.tls, args.cafile))
    elif args.command == 'host':
        print(url_host(args.url))
    else:
        if args.mode == 'controller' and not args.wheel_url:
            _parser().error('--mode controller needs --wheel-url')
        if args.mode == 'pip' and not args.pip_spec:
            _parser().error('--mode pip needs --pip-spec')
        with open(args.file) as f:
            text = f.read()
        script = guest_install_script(
            args.mode, args.venv, args.deps.split(), args.wheel_url,
            args.pip_spec, args.constraints)
        sys.stdout.write(merge_cloudinit(text, script))
    return 0


if __name__ == '__main__':
    sys.exit(main())
