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


"""The driver's defaults stay the safe ones (doc/source/security.rst).

Each test fails if a default, an option or a schema would let a hostile
guest do more than the threat model says.
"""

from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.rpc import auth
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import names
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import settings

#: The longest a reply grant may outlive its call by default (s).
GRANT_BOUND = 30


def _opts():
    [(_, opts)] = options.list_opts()
    return {opt.dest: opt for opt in opts}


def _settings(**query):
    conf = cfg.ConfigOpts()
    conf([])
    options.register_opts(conf)
    url = 'zaqar://127.0.0.1:9/?' + '&'.join(
        '%s=%s' % item for item in sorted(dict(
            {'auth': 'signed', 'signed_urls_file': '/nonexistent'},
            **query).items()))
    return settings.from_url(conf, om.TransportURL.parse(conf, url))


class TestSafeDefaults(testtools.TestCase):

    def test_reply_grants_outlive_their_call_by_seconds_only(self):
        margin = _opts()['reply_grant_margin']
        self.assertLessEqual(2 * margin.default, GRANT_BOUND)
        self.assertLessEqual(2 * margin.type.max, 600)

    def test_no_option_lets_a_server_answer_with_its_own_credentials(self):
        self.assertFalse({'reply_grants', 'reply_grant_lifetime',
                          'reply_with_own_credentials'} & set(_opts()))

    def test_guests_holding_signed_urls_cannot_use_push(self):
        self.assertEqual('poll', _settings(websocket_url='ws://h:9').delivery)
        self.assertRaises(om.InvalidTransportURL, _settings,
                          delivery='push', websocket_url='ws://h:9')


class TestRequestsCarryWhatRepliesNeed(testtools.TestCase):

    def test_a_call_without_reply_key_or_grant_is_refused(self):
        call = envelope.call({}, {}, envelope.new_id(), envelope.new_id(),
                             names.reply_queue('om', envelope.new_id()),
                             {'paths': ['/v2/queues/q/messages'],
                              'methods': ['POST'], 'project': 'p',
                              'expires': 'x', 'signature': 'ab'}, 30)
        envelope.decode(call)
        for field in ('rk', 'rg', 'rq', 'to'):
            body = {k: v for k, v in call.items() if k != field}
            self.assertRaises(envelope.InvalidEnvelope, envelope.decode,
                              body)

    def test_replies_go_only_to_reply_queues(self):
        schema = envelope.SCHEMAS['call'].schema['properties']['rq']
        self.assertEqual(names.REPLY_PATTERN, schema['pattern'])
        for other in (names.topic_queue('om', 'e', 't'),
                      names.server_queue('om', 'e', 't', 's'),
                      names.fanout_queue('om', 'e', 't')):
            self.assertFalse(names.is_reply_queue(other))

    def test_grants_are_checked_for_shape(self):
        self.assertIs(auth.GRANT_SCHEMA,
                      envelope.SCHEMAS['call'].schema['properties']['rg'])
        self.assertFalse(auth.valid_grant({'paths': '/v2/queues/q'}))

    def test_deadlines_need_no_sender_clock(self):
        call = envelope.call({}, {}, envelope.new_id(), envelope.new_id(),
                             names.reply_queue('om', envelope.new_id()),
                             {}, 30)
        self.assertNotIn('dl', call)
        self.assertTrue(envelope.expired(call, age=30))
        self.assertFalse(envelope.expired(call, age=29))
