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

"""Kinds of Zaqar operations and arithmetic on their counts."""

import testtools

from zaqar_trove_tests.stack import opkinds


class TestHttpKind(testtools.TestCase):

    def test_routes(self):
        q = '/v2/queues/bench-q'
        for method, path, query, kind in (
                ('GET', '/', '', 'GET versions'),
                ('GET', '/v2', '', 'GET home'),
                ('GET', '/v2/health', '', 'GET health'),
                ('GET', '/v2/ping', '', 'GET ping'),
                ('GET', '/v2/queues', 'limit=10', 'GET queues'),
                ('PUT', q, '', 'PUT queue'),
                ('GET', q + '/stats', '', 'GET stats'),
                ('POST', q + '/share', '', 'POST share'),
                ('POST', q + '/messages', '', 'POST messages'),
                ('GET', q + '/messages', 'echo=true', 'GET messages'),
                ('GET', q + '/messages', 'ids=a,b', 'GET messages?ids'),
                ('GET', q + '/messages/abc', '', 'GET message'),
                ('DELETE', q + '/messages/abc', 'claim_id=c',
                 'DELETE message'),
                ('DELETE', q + '/messages', 'ids=a', 'DELETE messages?ids'),
                ('DELETE', q + '/messages', 'x=1&pop=1',
                 'DELETE messages?pop'),
                ('POST', q + '/claims', 'limit=1', 'POST claims'),
                ('PATCH', q + '/claims/c1', '', 'PATCH claim'),
                ('DELETE', q + '/claims/c1', '', 'DELETE claim'),
                ('POST', q + '/subscriptions', '', 'POST subscriptions'),
                ('PUT', q + '/subscriptions/s/confirm', '', 'PUT confirm'),
                ('GET', '/v2/queues/', '', 'GET queues')):
            self.assertEqual(kind, opkinds.http_kind(method, path, query),
                             (method, path, query))

    def test_the_query_names_keys_not_values(self):
        self.assertEqual('GET messages', opkinds.http_kind(
            'GET', '/v2/queues/q/messages', 'marker=ids'))
        self.assertEqual('POST messages', opkinds.http_kind(
            'POST', '/v2/queues/q/messages', 'ids=1'))

    def test_unknown_is_other(self):
        for method, path in (('GET', '/admin'), ('BREW', '/v2/queues'),
                             ('GET', '/v2/queues/q/junk'),
                             ('GET', '/v2/' + '/'.join(['queues', 'q'] * 4)),
                             ('GET', '/v2/q/messages')):
            self.assertEqual(opkinds.OTHER, opkinds.http_kind(method, path),
                             (method, path))


class TestWsKind(testtools.TestCase):

    def test_known_actions_and_other(self):
        self.assertEqual('message_post', opkinds.ws_kind('message_post'))
        self.assertEqual('authenticate', opkinds.ws_kind('authenticate'))
        for junk in ('drop_tables', None, 3, ['message_post'], 'x' * 1000):
            self.assertEqual(opkinds.OTHER, opkinds.ws_kind(junk))

    def test_unhashable_action_is_other(self):
        self.assertEqual(opkinds.OTHER, opkinds.ws_kind({'a': 1}))


class TestCounts(testtools.TestCase):

    def test_add_and_diff(self):
        self.assertEqual({'a': 3, 'b': 1},
                         opkinds.add({'a': 1}, {'a': 2, 'b': 1}))
        self.assertEqual({'a': 2, 'c': 4},
                         opkinds.diff({'a': 3, 'b': 1, 'c': 4},
                                      {'a': 1, 'b': 1}))

    def test_by_group_sums_processes(self):
        self.assertEqual(
            {'http': {'POST messages': 3, 'PUT queue': 1},
             'websocket': {'push': 2}},
            opkinds.by_group([
                {'service': 'zaqar', 'counts': {'POST messages': 1}},
                {'service': 'zaqar', 'counts': {'POST messages': 2,
                                                'PUT queue': 1}},
                {'service': 'zaqar-websocket', 'counts': {'push': 2}}]))

    def test_every_websocket_server_counts_as_websocket(self):
        self.assertEqual('websocket', opkinds.group('zaqar-websocket-2'))
        self.assertEqual('websocket', opkinds.group('zaqar-websocket-12'))
        self.assertEqual('http', opkinds.group('zaqar'))
        self.assertEqual('zaqar-websocket-x',
                         opkinds.group('zaqar-websocket-x'))
        self.assertEqual('redis', opkinds.group('redis'))
        self.assertEqual(
            {'websocket': {'push': 5}},
            opkinds.by_group([
                {'service': 'zaqar-websocket', 'counts': {'push': 2}},
                {'service': 'zaqar-websocket-2', 'counts': {'push': 3}}]))

    def test_group_diff_and_add(self):
        before = {'http': {'POST messages': 1}}
        after = {'http': {'POST messages': 5}, 'websocket': {'push': 2}}
        moved = opkinds.group_diff(after, before)
        self.assertEqual({'http': {'POST messages': 4},
                          'websocket': {'push': 2}}, moved)
        self.assertEqual({'http': {'POST messages': 8},
                          'websocket': {'push': 2}},
                         opkinds.group_add(moved, {'http': {
                             'POST messages': 4}}))

    def test_per(self):
        self.assertEqual(
            {'http': {'POST messages': 2.0, 'POST claims': 0.5},
             'websocket': {}, 'total': {'http': 2.5, 'websocket': 0.0}},
            opkinds.per({'http': {'POST messages': 20, 'POST claims': 5},
                         'websocket': {}}, 10))
        self.assertIsNone(opkinds.per(None, 10))
        self.assertIsNone(opkinds.per({'http': {}}, 0))
