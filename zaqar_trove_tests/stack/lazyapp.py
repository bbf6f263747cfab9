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

"""A WSGI callable that builds the real application once, on demand.

gunicorn --preload imports the wrapper modules in its master process
(the expensive part) and forks workers; each worker then builds its own
application (connections, caches) in gunicorn_conf.post_worker_init,
or on its first request under any other WSGI server.
"""

import threading


class LazyApp:

    def __init__(self, factory):
        self._factory = factory
        self._app = None
        self._lock = threading.Lock()

    def build(self):
        """Build the application if not done yet; return it."""
        with self._lock:
            if self._app is None:
                self._app = self._factory()
        return self._app

    def __call__(self, environ, start_response):
        return (self._app or self.build())(environ, start_response)
