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

"""Keystone's WSGI application with our keystone.conf and nothing else.

Keystone parses ``sys.argv`` when it configures itself: under gunicorn
that holds gunicorn's arguments, so it is replaced by an explicit config
file (``$ZTT_KEYSTONE_CONFIG``) and an empty config dir
(``$ZTT_CONFIG_DIR``), which also keeps /etc/keystone out.
"""

import os
import sys

from keystone.server.flask import core

from zaqar_trove_tests.stack import lazyapp


def _build():
    config = os.environ['ZTT_KEYSTONE_CONFIG']
    sys.argv = ['keystone-wsgi', '--config-file', config,
                '--config-dir', os.environ['ZTT_CONFIG_DIR']]
    return core.initialize_application(name='public', config_files=[config])


application = lazyapp.LazyApp(_build)
