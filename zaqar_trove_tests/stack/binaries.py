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

"""The programs the stack runs, the Debian package of each, and our tools.

``tool`` finds a console script of this Python environment (tempest,
stestr, subunit2html), which ``bringup`` and ``tempest_run`` run.
"""

import importlib.util
import os
import shutil
import sys

from zaqar_trove_tests.stack import errors

#: name -> (Debian package, places to look besides $PATH).
#: RabbitMQ's /usr/sbin wrapper switches to the rabbitmq user: run the
#: script it wraps.
PROGRAMS = {
    'redis-server': ('redis-server', ['/usr/bin/redis-server']),
    'rabbitmq-server': ('rabbitmq-server',
                        ['/usr/lib/rabbitmq/bin/rabbitmq-server']),
    'epmd': ('erlang-base', ['/usr/bin/epmd']),
}

#: Python modules the stack's processes import, checked before starting.
MODULES = ('keystone', 'zaqar', 'gunicorn', 'redis', 'amqp')


def find(name, programs=None, search_path=True):
    """Absolute path of a program.

    :raises MissingBinary: naming its Debian package.
    """
    package, places = (programs or PROGRAMS)[name]
    looked = []
    if search_path and name != 'rabbitmq-server':
        found = shutil.which(name)
        if found:
            return found
        looked.append('$PATH')
    for place in places:
        if os.access(place, os.X_OK):
            return place
        looked.append(place)
    raise errors.MissingBinary(name, package, looked)


def find_all(programs=None):
    """``{name: path}`` of every program, or the first missing one."""
    return {name: find(name, programs) for name in (programs or PROGRAMS)}


def check_modules(modules=MODULES):
    """Fail early, without importing them, if a module is missing."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise errors.MissingPythonPackage(module, 'not installed')


def tool(name):
    """A console script of this Python environment (tempest, stestr...)."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    found = here if os.access(here, os.X_OK) else shutil.which(name)
    if not found:
        raise errors.MissingPythonPackage(name, 'no %s script next to %s' % (
            name, sys.executable))
    return found
