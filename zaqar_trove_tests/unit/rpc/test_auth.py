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

"""Identity headers per auth_mode, and the signed URL grants file."""

import json
import logging
import os

import fixtures
import testtools

from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import errors


def grant(queue, methods, project='p1', signature='5e9'):
    return {'paths': ['/v2/queues/%s/messages' % queue],
            'methods': methods, 'project': project,
            'expires': '2099-01-01T00:00:00', 'signature': signature}


class Settings:
    """The few settings the auth classes read."""

    def __init__(self, **values):
        self.__dict__.update(values)


class TestSimpleModes(testtools.TestCase):

    def test_noauth_sends_the_project(self):
        noauth = auth.make(Settings(auth_mode='noauth', project_id='p'))
        self.assertEqual({'X-Project-ID': 'p'}, noauth.headers('q', 'GET'))

    def test_token_is_sent_as_is(self):
        token = auth.make(Settings(auth_mode='token', project_id='p',
                                   token='t'))
        token.invalidate()
        self.assertEqual({'X-Auth-Token': 't', 'X-Project-ID': 'p'},
                         token.headers())

    def test_grant_headers(self):
        headers = auth.grant_headers(grant('q', ['POST', 'GET']))
        self.assertEqual({'URL-Signature': '5e9',
                          'URL-Expires': '2099-01-01T00:00:00',
                          'URL-Methods': 'POST,GET',
                          'URL-Paths': '/v2/queues/q/messages',
                          'X-Project-ID': 'p1'}, headers)

    def test_grant_validation(self):
        self.assertTrue(auth.valid_grant(grant('q', ['GET'])))
        for bad in (None, [], {}, dict(grant('q', ['GET']), paths='x'),
                    {k: v for k, v in grant('q', ['GET']).items()
                     if k != 'signature'},
                    grant('q', ['GET'], signature='not hex'),
                    grant('q', ['STEAL']), grant('q', []),
                    dict(grant('q', ['GET']), project=['p'])):
            self.assertFalse(auth.valid_grant(bad))


class TestSignedFile(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).join('g.json')
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def write(self, data, bump=0):
        with open(self.path, 'w') as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        if bump:
            stat = os.stat(self.path)
            os.utime(self.path, ns=(stat.st_atime_ns,
                                    stat.st_mtime_ns + bump))

    def signed(self):
        return auth.make(Settings(auth_mode='signed',
                                  signed_urls_file=self.path))

    def test_grants_by_queue_method_and_path(self):
        claims = dict(grant('a', ['POST'], signature='54'),
                      paths=['/v2/queues/a/claims'])
        self.write([grant('a', ['DELETE', 'GET'], signature='51'),
                    grant('a', ['POST'], signature='52'), claims,
                    grant('b', ['POST'], signature='53')])
        signed = self.signed()
        self.assertEqual({'a', 'b'}, signed.queues())

        def signature(queue, method, kind):
            return signed.headers(queue, method, kind)['URL-Signature']

        self.assertEqual('51', signature('a', 'DELETE', 'messages'))
        self.assertEqual('52', signature('a', 'POST', 'messages'))
        self.assertEqual('54', signature('a', 'POST', 'claims'))
        error = self.assertRaises(errors.NoGrant, signed.headers, 'b',
                                  'DELETE', 'messages')
        self.assertIn('DELETE on messages of queue b', str(error))
        for args in (('c', 'POST', 'messages'), ('b', 'POST', 'claims'),
                     ('a', 'DELETE', ''), ('a', 'GET', None)):
            self.assertRaises(errors.NoGrant, signed.headers, *args)
        self.assertIsNone(signed.project_id)

    def test_an_object_of_grants_and_malformed_entries(self):
        self.write({'reply': grant('r', ['POST']), 'junk': {'paths': 1},
                    'other': 'text'})
        self.assertEqual({'r'}, self.signed().queues())
        self.assertEqual(2, self.log.output.count('malformed signed URL'))

    def test_the_file_is_read_again_when_it_changes(self):
        self.write([grant('a', ['POST'])])
        signed = self.signed()
        self.write([grant('b', ['POST'])], bump=10 ** 9)
        self.assertEqual({'b'}, signed.queues())
        self.write('{not json', bump=2 * 10 ** 9)
        self.assertEqual({'b'}, signed.queues())
        self.assertIn('Keeping the previous signed URLs', self.log.output)

    def test_unreadable_file_at_start(self):
        self.assertRaises(errors.AuthFailed, self.signed)
        self.write('{not json')
        self.assertRaises(errors.AuthFailed, self.signed)
        self.write('"a string"')
        self.assertEqual(set(), self.signed().queues())
