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


"""The schemas accept every recorded response and reject broken ones.

Broken variants are derived from each recording: a key removed, a key
added, a value of the wrong JSON type, a required header dropped. What
may legitimately vary is spelled out below, independently of the
schemas: the user's data (message bodies, queue metadata, options), the
keys Zaqar only sometimes sends, and the objects whose keys are open.
"""

import copy

from tempest.lib.common import rest_client
from tempest.lib import exceptions
import testscenarios
import testtools

from zaqar_trove_tests.api_schema.v2 import claims
from zaqar_trove_tests.api_schema.v2 import health
from zaqar_trove_tests.api_schema.v2 import messages
from zaqar_trove_tests.api_schema.v2 import queues
from zaqar_trove_tests.api_schema.v2 import shares
from zaqar_trove_tests.api_schema.v2 import subscriptions
from zaqar_trove_tests.api_schema.v2 import websocket as ws
from zaqar_trove_tests.unit.services import recordings

REST_MODULES = {
    'QueuesClient': queues, 'MessagesClient': messages,
    'ClaimsClient': claims, 'SharesClient': shares,
    'SubscriptionsClient': subscriptions, 'HealthClient': health,
}
#: Client methods whose schema has another name (or depends on status).
REST_SCHEMA_NAMES = {
    ('head_ping', 204): 'ping',
    ('claim_messages', 204): 'claim_messages_none',
}

#: Values that belong to the user: anything goes below them.
USER_DATA = {'body', 'options'}
#: Objects with open keys; only their reserved (``_``) keys are fixed.
OPEN_OBJECTS = {'metadata', 'operation_status'}
#: Methods whose whole body is such an open object.
OPEN_BODIES = {'show_queue', 'update_queue', 'queue_get'}
#: Keys Zaqar sends only in some cases.
OPTIONAL_KEYS = {'checksum', 'count', 'metadata', 'delay'}
OPTIONAL_BY_METHOD = {'claim_create': {'messages'}}


class Response(dict):
    """What validate_response reads of an HTTP response."""

    def __init__(self, status, headers=None):
        super().__init__(headers or {})
        self.status = status


def rest_schema(entry):
    status = entry['response']['status']
    name = REST_SCHEMA_NAMES.get((entry['method'], status), entry['method'])
    return getattr(REST_MODULES[entry['client']], name)


def _wrong_type(value):
    if value is None:
        return {'wrong': 'type'}
    return 12345 if isinstance(value, str) else 'wrong-type'


def mutations(body, method):
    """``(description, broken body)`` for every strictness rule."""
    if not isinstance(body, (dict, list)):
        yield 'root of the wrong type', _wrong_type(body)
        return
    nodes = [((), body)]
    while nodes:
        path, node = nodes.pop()
        if isinstance(node, list):
            if node:
                nodes.append((path + (0,), node[0]))
            continue
        if not isinstance(node, dict):
            continue
        is_open = (path and path[-1] in OPEN_OBJECTS) or (
            not path and method in OPEN_BODIES)
        if not is_open:
            yield path + ('<extra>',), _set(body, path, 'zzz_extra', 1)
        optional = OPTIONAL_KEYS | OPTIONAL_BY_METHOD.get(method, set())
        for key, value in node.items():
            fixed = not is_open or key.startswith('_')
            if fixed and key not in optional:
                yield path + (key, '<removed>'), _remove(body, path, key)
            if fixed and key not in USER_DATA:
                yield (path + (key, '<wrong type>'),
                       _set(body, path, key, _wrong_type(value)))
            if key not in USER_DATA and not is_open:
                nodes.append((path + (key,), value))


def _locate(document, path):
    for step in path:
        document = document[step]
    return document


def _set(body, path, key, value):
    broken = copy.deepcopy(body)
    _locate(broken, path)[key] = value
    return broken


def _remove(body, path, key):
    broken = copy.deepcopy(body)
    del _locate(broken, path)[key]
    return broken


class SchemaCheck:
    """Shared assertions; ``schema``, ``status``, ``headers``, ``body``."""

    def validate(self, body, headers=None):
        if headers is None:
            headers = self.headers
        rest_client.RestClient.validate_response(
            self.schema, Response(self.status, headers), body)

    def test_accepts_recording(self):
        self.validate(self.body)

    def test_rejects_broken_variants(self):
        accepted = []
        count = 0
        for what, broken in mutations(self.body, self.method):
            count += 1
            try:
                self.validate(broken)
            except exceptions.InvalidHTTPResponseBody:
                continue
            accepted.append(what)
        self.assertEqual([], accepted)
        if self.body not in (None, {}) and self.method not in OPEN_BODIES:
            self.assertGreater(count, 0)

    def test_rejects_other_success_status(self):
        status = [code for code in (200, 201, 202, 204)
                  if code not in self.schema['status_code']][0]
        self.assertRaises(exceptions.InvalidHttpSuccessCode,
                          rest_client.RestClient.validate_response,
                          self.schema, Response(status, self.headers),
                          self.body)


class TestRestSchemas(testscenarios.WithScenarios, SchemaCheck,
                      testtools.TestCase):

    scenarios = recordings.scenarios('rest', lambda e: not e['raises'])

    def setUp(self):
        super().setUp()
        self.schema = rest_schema(self.entry)
        self.method = self.entry['method']
        self.status = self.entry['response']['status']
        self.headers = self.entry['response']['headers']
        self.body = self.entry['response']['body']


class TestRestHeaderSchemas(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = recordings.scenarios(
        'rest', lambda e: not e['raises'] and
        'response_header' in rest_schema(e))

    def test_rejects_missing_required_header(self):
        schema = rest_schema(self.entry)
        status = self.entry['response']['status']
        headers = self.entry['response']['headers']
        rest_client.RestClient.validate_response(
            schema, Response(status, headers), self.entry['response']['body'])
        for name in schema['response_header']['required']:
            without = Response(status, {k: v for k, v in headers.items()
                                        if k != name})
            self.assertRaises(exceptions.InvalidHTTPResponseHeader,
                              rest_client.RestClient.validate_response,
                              schema, without,
                              self.entry['response']['body'])


class TestWebsocketSchemas(testscenarios.WithScenarios, SchemaCheck,
                           testtools.TestCase):

    scenarios = recordings.scenarios(
        'ws', lambda e: e.get('response') and not e['raises'] and
        e['method'] != 'send')

    def setUp(self):
        super().setUp()
        self.schema = getattr(ws, self.entry['method'])
        self.method = self.entry['method']
        self.status = self.entry['response']['headers']['status']
        self.headers = {}
        self.body = self.entry['response']['body']


class TestNotificationSchema(testscenarios.WithScenarios,
                             testtools.TestCase):

    scenarios = recordings.scenarios('ws', lambda e: 'notification' in e)

    def _validate(self, frame):
        rest_client.RestClient.validate_response(
            {'status_code': [200], 'response_body': ws.notification},
            Response(200), frame)

    def test_accepts_recording(self):
        self._validate(self.entry['notification'])

    def test_rejects_broken_variants(self):
        accepted = []
        for what, broken in mutations(self.entry['notification'], 'push'):
            try:
                self._validate(broken)
            except exceptions.InvalidHTTPResponseBody:
                continue
            accepted.append(what)
        self.assertEqual([], accepted)


class TestEveryMethodHasASchema(testtools.TestCase):

    def test_every_recorded_method_has_a_schema(self):
        for _, entry in recordings.load('rest'):
            self.assertIsInstance(rest_schema(entry), dict)
        for _, entry in recordings.load('ws'):
            if entry['method'] not in ('send', 'receive'):
                self.assertIsInstance(getattr(ws, entry['method']), dict)
