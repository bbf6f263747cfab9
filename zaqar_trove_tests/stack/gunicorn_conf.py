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

"""gunicorn settings shared by the Keystone and Zaqar servers.

Loaded with ``-c python:zaqar_trove_tests.stack.gunicorn_conf``; the
per-service settings (bind, workers) are on the command line.
"""

# No control socket under $HOME (gunicorn >= 25; older ones ignore it).
control_socket_disable = True


def post_worker_init(worker):
    """Build the preloaded application in the worker, before serving."""
    build = getattr(worker.wsgi, 'build', None)
    if build is not None:
        build()
