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

"""Pure fakes for the driver's unit tests: settings, a clock, ports."""

import socket
import threading

from oslo_config import cfg
import oslo_messaging as om

from zaqar_trove_tests.rpc import options
from zaqar_trove_tests.rpc import settings as zsettings


def make_settings(*ports, **query):
    """Driver settings for a noauth URL on loopback ``ports``."""
    conf = cfg.ConfigOpts()
    conf([])
    options.register_opts(conf)
    params = dict({'auth': 'noauth', 'project_id': 'p', 'http_timeout': 1},
                  **query)
    url = 'zaqar://%s/?%s' % (
        ','.join('127.0.0.1:%d' % p for p in ports or (9,)),
        '&'.join('%s=%s' % kv for kv in sorted(params.items())))
    return zsettings.from_url(conf, om.TransportURL.parse(conf, url))


def free_port():
    """A loopback port nothing listens on (until someone takes it)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Clock:
    """A monotonic clock that moves only when something sleeps on it.

    Pass ``clock`` as the clock and ``clock.sleep`` as the sleep of the
    code under test: every pause is recorded in ``pauses`` and moves the
    time on at once, so nothing really waits and no verdict depends on
    the machine's speed.
    """

    def __init__(self, now=1000.0):
        self.now = now
        self.pauses = []
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self.now

    def sleep(self, seconds):
        with self._lock:
            self.pauses.append(seconds)
            self.now += max(0.0, seconds or 0.0)

    def advance(self, seconds):
        with self._lock:
            self.now += seconds
