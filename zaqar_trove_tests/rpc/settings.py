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

"""The driver's settings: ``[oslo_messaging_zaqar]`` overridden by the URL.

``zaqar://USER:PASS@HOST:PORT[,HOST2:PORT2]/[PATH]?OPTION=VALUE&...``
(``zaqar+https://`` for TLS; PATH, if any, prefixes the API paths). Each
query parameter overrides the option of the same name (``auth`` means
``auth_mode``); USER and PASS override ``username`` and ``password``;
several hosts are tried in order (failover). Secrets (``password``,
``token``) never appear in ``repr()``, in ``safe_url()`` or in the
messages of the errors raised here.
"""

from urllib import parse

import oslo_messaging as om

from zaqar_trove_tests.rpc import options

DEFAULT_PORT = 8888
SCHEMES = {'zaqar': 'http', 'zaqar+http': 'http', 'zaqar+https': 'https'}
_SECRETS = ('password', 'token')


def safe_url(url):
    """``url`` (a TransportURL) as text without any secret."""
    hosts = []
    for host in url.hosts:
        netloc = ''
        if host.username is not None:
            netloc = parse.quote(host.username, '')
            if host.password is not None:
                netloc += ':***'
            netloc += '@'
        netloc += '%s:%s' % (host.hostname, host.port or DEFAULT_PORT)
        hosts.append(netloc)
    query = {k: ('***' if k in _SECRETS else v)
             for k, v in sorted(url.query.items())}
    text = '%s://%s/%s' % (url.transport, ','.join(hosts),
                           url.virtual_host or '')
    if query:
        text += '?' + parse.urlencode(query, safe=':/,')
    return text


class Settings:
    """Resolved settings; option values are attributes.

    :ivar scheme: ``http`` or ``https``.
    :ivar hosts: ``[(host, port), ...]`` in failover order.
    :ivar base_path: prefix of the API paths ('' or '/something').
    :ivar delivery: ``push`` or ``poll`` (``auto`` resolved).
    """

    def __init__(self, values, scheme, hosts, base_path, url_text):
        self.__dict__.update(values)
        self.scheme = scheme
        self.hosts = hosts
        self.base_path = base_path
        self.url_text = url_text
        self.delivery = self._resolve_delivery()

    def _resolve_delivery(self):
        if self.delivery == 'auto':
            return ('push' if self.websocket_url and
                    self.auth_mode != 'signed' else 'poll')
        if self.delivery == 'push':
            if self.auth_mode == 'signed':
                self._fail("delivery=push is impossible with auth_mode="
                           "signed: Zaqar's websocket accepts signed URLs "
                           "for message actions only, not subscriptions")
            if not self.websocket_url:
                self._fail('delivery=push needs websocket_url')
        return self.delivery

    def _fail(self, msg):
        raise om.InvalidTransportURL(self.url_text, msg)

    def __repr__(self):
        shown = {k: ('***' if k in _SECRETS and v else v)
                 for k, v in sorted(self.__dict__.items())}
        return '<Settings %r>' % shown

    def check_auth(self):
        """Raise ``InvalidTransportURL`` if ``auth_mode`` lacks options."""
        needs = {
            'keystone': (('auth_url',), ('username', 'user_id'),
                         ('password',)),
            'token': (('token',), ('project_id',)),
            'noauth': (('project_id',),),
            'signed': (('signed_urls_file',),),
        }[self.auth_mode]
        for choices in needs:
            if not any(getattr(self, name, None) for name in choices):
                self._fail('auth_mode=%s needs %s' % (
                    self.auth_mode, ' or '.join(choices)))


def from_url(conf, url):
    """Settings for TransportURL ``url`` and ConfigOpts ``conf``."""
    text = safe_url(url)
    scheme = SCHEMES.get(url.transport)
    if scheme is None:
        raise om.InvalidTransportURL(
            text, 'scheme must be one of %s' % ', '.join(sorted(SCHEMES)))
    if not url.hosts or not all(h.hostname for h in url.hosts):
        raise om.InvalidTransportURL(text, 'no Zaqar host given')
    group = conf[options.GROUP]
    opts = {opt.dest: opt for opt in options.all_opts()}
    values = {name: getattr(group, name) for name in opts}
    for key, raw in url.query.items():
        name = options.QUERY_ALIASES.get(key, key)
        if name not in opts:
            raise om.InvalidTransportURL(
                text, 'unknown option %r in the URL query' % key)
        try:
            values[name] = opts[name].type(raw)
        except ValueError as exc:
            detail = '' if name in _SECRETS else ': %s' % exc
            raise om.InvalidTransportURL(
                text, 'bad value for %r%s' % (key, detail))
    for host in url.hosts:
        if host.username is not None:
            values['username'] = host.username
        if host.password is not None:
            values['password'] = host.password
    hosts = [(h.hostname, h.port or DEFAULT_PORT) for h in url.hosts]
    path = (url.virtual_host or '').strip('/')
    settings = Settings(values, scheme, hosts, '/' + path if path else '',
                        text)
    settings.check_auth()
    return settings
