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

"""Zaqar's WSGI application (HTTP API v2) for gunicorn.

Zaqar's own ``zaqar.transport.wsgi.app`` reads the default config paths;
this one reads ``$ZTT_ZAQAR_CONFIG`` only, and counts the requests each
worker serves (``opcounter``: harness instrumentation for the benchmark).
"""

# Imported here so that gunicorn --preload pays for them once.
import keystonemiddleware.auth_token  # noqa: F401
from zaqar import bootstrap
import zaqar.notification.notifier  # noqa: F401
import zaqar.storage.redis.driver  # noqa: F401
import zaqar.storage.sqlalchemy.driver  # noqa: F401
import zaqar.transport.wsgi.driver  # noqa: F401

from zaqar_trove_tests.stack import lazyapp
from zaqar_trove_tests.stack import opcounter
from zaqar_trove_tests.stack import zaqar_app

CONF = zaqar_app.load_conf('zaqar-wsgi')


def _build():
    # Built in each worker, after gunicorn's fork: the counter's thread
    # starts there.
    counter = opcounter.Counter('zaqar')
    counter.start()
    return opcounter.CountingApp(bootstrap.Bootstrap(CONF).transport.app,
                                 counter)


application = lazyapp.LazyApp(_build)
