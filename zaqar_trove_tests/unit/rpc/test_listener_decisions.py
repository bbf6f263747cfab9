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


"""The listener's reading decisions, with a scripted client (no service)."""

from oslo_config import cfg
import oslo_messaging as om
import testtools

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import listener as zlistener
from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import settings


class _Client:
    """Answers claims from a script (then nothing); records them."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.claims = 0
        self.during_claim = None

    def ensure_queue(self, queue):
        pass

    def claim(self, queue, limit):
        self.claims += 1
        if self.during_claim is not None:
            self.during_claim()
            self.during_claim = None
        return self.answers.pop(0) if self.answers else []


class _Push:
    healthy = True

    def subscribe(self, queue, callback):
        pass

    def is_lag(self, age, since):
        return False


class _Deleter:

    def add(self, queue, ids, expires):
        pass


class _Driver:

    def __init__(self, client):
        conf = cfg.ConfigOpts()
        conf([])
        options.register_opts(conf)
        self.settings = settings.from_url(conf, om.TransportURL.parse(
            conf, 'zaqar://127.0.0.1:9/?auth=noauth&project_id=p'))
        self.client = client

    def deleter(self):
        return _Deleter()


def _message(value):
    return {'id': 'm-%s' % value, 'age': 0,
            'body': envelope.cast({}, {'method': 'note',
                                       'args': {'value': value}})}


class TestCatchUp(testtools.TestCase):

    def listener(self, client):
        source = zlistener.Source('q', 'pop')
        listener = zlistener.ZaqarListener(_Driver(client), [source])
        listener.start(_Push())
        return listener, source

    def test_a_catch_up_read_that_finds_nothing_is_repeated(self):
        # Zaqar pushes before it stores: a message posted as the
        # subscription began may be stored just after the catch-up read.
        client = _Client([], [_message(1)])
        listener, source = self.listener(client)
        listener._on_push(source, None)
        got = listener.poll(timeout=5)
        self.assertEqual([{'value': 1}], [m.message['args'] for m in got])
        self.assertEqual(2, client.claims)

    def test_the_repeats_end_with_the_grace(self):
        client = _Client()
        listener, source = self.listener(client)
        listener._on_push(source, None)
        self.assertEqual([], listener.poll(
            timeout=listener._settings.push_grace + 1))
        self.assertFalse(source.catch_up)
        # Pauses triple from poll_min_interval: a handful of reads.
        self.assertLess(client.claims, 12)

    def test_a_push_arriving_during_a_read_is_not_lost(self):
        # The subscription (re)starts while a read is under way: what was
        # stored after that read began must be read again.
        first, second = _message(1), _message(2)
        client = _Client([first], [second])
        listener, source = self.listener(client)
        client.during_claim = lambda: listener._on_push(source, None)
        listener._on_push(source, first['body'])
        self.assertEqual([1], [m.message['args']['value']
                               for m in listener.poll(timeout=5)])
        self.assertEqual([2], [m.message['args']['value']
                               for m in listener.poll(timeout=0.5)])
