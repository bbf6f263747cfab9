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


"""The stack under test: its URLs, credentials and processes."""

from urllib import parse

from zaqar_trove_tests.bench import rawzaqar
from zaqar_trove_tests.stack import configs

#: CPU is reported for these services of the stack (``cpu_sources``):
#: ``zaqar-websocket`` stands for every websocket server of the stack
#: (``configs.ws_services``), ``redis`` for every Redis server.
SERVICES = ('zaqar', 'zaqar-websocket', 'redis', 'rabbitmq', 'keystone')


def transport_url(settings, transport, token=None, ws_urls=None, **options):
    """Transport URL: ``rabbit``, or ``push``/``poll`` over Zaqar.

    The ``zaqar://`` URL authenticates as the stack's ``rpc`` user with
    keystone or, given ``token`` = ``(token, project_id)``, with that token
    (many guests started at once would otherwise all log in to keystone).
    ``ws_urls`` replaces the stack's websocket URLs (all of them).
    ``options`` are driver options added to the URL query.
    """
    if transport == 'rabbit':
        return configs.rabbit_transport_url(settings)
    if token:
        query = [('auth', 'token'), ('token', token[0]),
                 ('project_id', token[1]),
                 ('websocket_url', ','.join(configs.zaqar_ws_urls(settings)))]
        base = 'zaqar://%s:%d/' % (configs.HOST, settings['ports']['zaqar'])
    else:
        base, _, extra = configs.zaqar_transport_url(settings).partition('?')
        query = parse.parse_qsl(extra)
    if ws_urls:
        query = [(k, v) for k, v in query if k != 'websocket_url'] + [
            ('websocket_url', ','.join(ws_urls))]
    query += [('delivery', transport)] + sorted(options.items())
    return base + '?' + '&'.join(
        '%s=%s' % (k, parse.quote(str(v), safe=':/,')) for k, v in query)


class Target:
    """What a benchmark needs of a running ``control.Stack``."""

    def __init__(self, stack):
        self.stack = stack
        settings = stack.settings
        self.settings = settings
        self.host = configs.HOST
        self.http_port = settings['ports']['zaqar']
        self.ws_url = configs.zaqar_ws_url(settings)
        self.ws_urls = configs.zaqar_ws_urls(settings)
        self.ws_services = configs.ws_services(settings)
        self.redis_services = configs.redis_services(settings)
        self.token, self.project_id = rawzaqar.token_for(
            configs.keystone_url(settings), configs.RPC_USER,
            settings['secrets']['rpc_password'], configs.RPC_PROJECT,
            configs.DOMAIN)

    def http(self):
        return rawzaqar.Http(self.host, self.http_port, self.token,
                             self.project_id)

    def push(self, on_push=None, ws_url=None):
        """A raw websocket client of ``ws_url`` (default: the first)."""
        return rawzaqar.Push(ws_url or self.ws_url, self.token,
                             self.project_id, on_push)

    def url(self, transport, token_auth=False, ws_urls=None, **options):
        """Transport URL of this stack; see ``transport_url``."""
        token = (self.token, self.project_id) if token_auth else None
        return transport_url(self.settings, transport, token, ws_urls,
                             **options)

    def pids(self, service):
        """Live pids of a stack service (its whole process group)."""
        return self.stack.service(service).processes()

    def cpu_sources(self):
        """``{service: pids getter}`` for ``machine.CpuMeter``.

        ``zaqar-websocket`` is every websocket server together, ``redis``
        every Redis server (Zaqar pools).
        """
        sources = {name: (lambda name=name: self.pids(name))
                   for name in SERVICES}
        for name, group in (('zaqar-websocket', self.ws_services),
                            ('redis', self.redis_services)):
            sources[name] = lambda group=group: [
                pid for each in group for pid in self.pids(each)]
        return sources
