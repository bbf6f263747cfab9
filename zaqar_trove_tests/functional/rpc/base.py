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

"""Helpers of the driver tests that talk to a real (local) Zaqar."""

import http.client
import json
import threading
import uuid

from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.functional.rpc import local_zaqar


def zaqar_url(zaqar, project, delivery='poll', hosts=None, **query):
    """A noauth ``zaqar://`` URL for ``zaqar`` (a LocalZaqar)."""
    params = dict(auth='noauth', project_id=project, delivery=delivery,
                  **query)
    if zaqar.ws_url:
        params.setdefault('websocket_url', zaqar.ws_url)
    hosts = hosts or ['127.0.0.1:%d' % zaqar.http_port]
    return 'zaqar://%s/?%s' % (','.join(hosts), '&'.join(
        '%s=%s' % item for item in sorted(params.items())))


class Recorder:
    """An RPC endpoint that records what it executed."""

    def __init__(self, name):
        self.name = name
        self.seen = []
        self.lock = threading.Lock()

    def echo(self, ctxt, value):
        with self.lock:
            self.seen.append(('echo', value))
        return {'server': self.name, 'value': value}

    def note(self, ctxt, value):
        with self.lock:
            self.seen.append(('note', value))

    def fail(self, ctxt, kind):
        if kind == 'builtin':
            raise ValueError('bad value')
        raise RecorderError('not allowed remotely')

    def values(self, method):
        with self.lock:
            return [v for m, v in self.seen if m == method]


class RecorderError(Exception):
    """An exception from a module callers do not allow."""


class ZaqarTestCase(testtools.TestCase):
    """Starts one local Zaqar (with websocket) per test class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.zaqar = local_zaqar.LocalZaqar(websocket=True)
        cls.zaqar.setUp()
        cls.addClassCleanup(cls.zaqar.cleanUp)

    def setUp(self):
        super().setUp()
        self.project = 'zt-' + uuid.uuid4().hex[:12]
        self.conf = cfg.ConfigOpts()
        self.conf([])

    def transport(self, delivery='poll', notifications=False, hosts=None,
                  **query):
        url = zaqar_url(self.zaqar, self.project, delivery, hosts, **query)
        get = (om.get_notification_transport if notifications
               else om.get_rpc_transport)
        transport = get(self.conf, url=url)
        self.addCleanup(transport.cleanup)
        return transport

    def server(self, transport, topic, name, endpoint=None):
        endpoint = endpoint or Recorder(name)
        server = om.get_rpc_server(transport, om.Target(topic=topic,
                                                        server=name),
                                   [endpoint])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        return endpoint

    def api(self, method, path, body=None):
        """A raw Zaqar request in this test's project."""
        conn = http.client.HTTPConnection('127.0.0.1', self.zaqar.http_port,
                                          timeout=10)
        try:
            conn.request(method, path,
                         body=None if body is None else json.dumps(body),
                         headers={'Client-ID': str(uuid.uuid4()),
                                  'X-Project-ID': self.project,
                                  'Content-Type': 'application/json'})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, json.loads(data) if data else None
        finally:
            conn.close()

    def queue_names(self):
        names, path = [], '/v2/queues?limit=20'
        while path:
            status, body = self.api('GET', path)
            page = (body or {}).get('queues', [])
            names.extend(q['name'] for q in page)
            path = next((link['href'] for link in body.get('links', ())
                         if link['rel'] == 'next'), None) if page else None
        return sorted(names)

    def message_count(self, queue):
        status, body = self.api('GET', '/v2/queues/%s/stats' % queue)
        return body['messages']['total'] if status == 200 else 0
