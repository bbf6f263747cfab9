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

"""The stand-in's database server, fed Trove's serialized models."""

import testtools

from zaqar_trove_tests.guest import state
from zaqar_trove_tests.guest import troveenv


class PageTest(testtools.TestCase):

    items = [(k, k.upper()) for k in ('a', 'b', 'c', 'd')]

    def test_all(self):
        self.assertEqual((['A', 'B', 'C', 'D'], None), state.page(self.items))

    def test_limit_gives_the_last_key_as_marker(self):
        self.assertEqual((['A', 'B'], 'b'), state.page(self.items, limit=2))

    def test_after_marker(self):
        self.assertEqual((['C', 'D'], None),
                         state.page(self.items, marker='b'))
        self.assertEqual((['B', 'C'], 'c'),
                         state.page(self.items, 2, 'b', True))

    def test_limit_reaching_the_end_has_no_marker(self):
        self.assertEqual((['C', 'D'], None), state.page(self.items, 2, 'b'))


class DatabaseServerTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.models = troveenv.load().mysql_models

    def setUp(self):
        super().setUp()
        self.server = state.DatabaseServer(self.models)

    def schema(self, name):
        return self.models.MySQLSchema(name=name).serialize()

    def user(self, name, password='pw', databases=()):
        return self.models.MySQLUser(name=name, password=password,
                                     databases=list(databases)).serialize()

    def names(self, listing):
        return [item['_name'] for item in listing[0]], listing[1]

    def test_databases(self):
        self.server.create_databases([self.schema('db_b'),
                                      self.schema('db_a')])
        self.server.create_databases([self.schema('db_a')])
        self.assertEqual((['db_a', 'db_b'], None),
                         self.names(self.server.list_databases()))
        self.assertEqual((['db_a'], 'db_a'),
                         self.names(self.server.list_databases(limit=1)))
        self.server.delete_database(self.schema('db_a'))
        self.assertEqual((['db_b'], None),
                         self.names(self.server.list_databases()))

    def test_trove_refuses_reserved_and_malformed_names(self):
        self.assertRaises(ValueError, self.server.create_databases,
                          [self.schema('mysql')])
        self.assertRaises((ValueError, TypeError),
                          self.server.create_databases, ['ciphertext'])
        self.assertRaises((ValueError, TypeError, AttributeError),
                          self.server.create_users, ['ciphertext'])
        self.assertEqual(([], None), self.server.list_databases())

    def test_users_and_access(self):
        self.server.create_users([self.user('u1', 'pw-1', ['db_1'])])
        found = self.server.get_user('u1', '%')
        self.assertEqual(('u1', '%', None),
                         (found['_name'], found['_host'], found['_password']))
        self.assertEqual(['db_1'], [d['_name'] for d in found['_databases']])
        self.assertIsNone(self.server.get_user('u2', '%'))
        self.server.grant_access('u1', '%', ['db_2'])
        self.server.revoke_access('u1', '%', 'db_1')
        access = self.server.list_access('u1', '%')
        self.assertEqual(['db_2'], [d['_name'] for d in access])
        self.assertRaises(ValueError, self.server.grant_access, 'u1', '%',
                          ['mysql'])
        self.assertRaises(AttributeError, self.server.list_access, 'u2', '%')
        self.assertEqual('pw-1', self.server.password('u1'))

    def test_user_changes(self):
        self.server.create_users([self.user('u1'), self.user('u2')])
        self.assertEqual((['u1'], 'u1@%'),
                         self.names(self.server.list_users(limit=1)))
        self.server.change_passwords([{'name': 'u1', 'host': '%',
                                       'password': 'pw-2'}])
        self.assertEqual('pw-2', self.server.password('u1'))
        self.server.update_attributes('u1', '%', {'name': 'u3'})
        self.server.delete_user(self.user('u2'))
        self.assertEqual((['u3'], None), self.names(self.server.list_users()))
        self.assertEqual('pw-2', self.server.password('u3'))

    def test_root(self):
        self.assertFalse(self.server.root_enabled)
        root = self.server.enable_root('Root-pw')
        self.assertEqual(('root', 'Root-pw'),
                         (root['_name'], root['_password']))
        self.server.disable_root()
        self.assertTrue(self.server.root_enabled)
        self.assertNotEqual('Root-pw', self.server.root_password)

    def test_filesystem_stats_follow_the_databases(self):
        empty = self.server.filesystem_stats()
        self.server.create_databases([self.schema('db_a')])
        stats = self.server.filesystem_stats()
        self.assertEqual(state.VOLUME_GB, stats['total'])
        self.assertGreater(stats['used'], empty['used'])
        self.assertLess(stats['free_blocks'], empty['free_blocks'])
