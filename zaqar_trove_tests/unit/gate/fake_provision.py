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

"""``python -m zaqar_trove_tests.rpc.provision`` for test_devstack.py.

The real command line, on a control-plane transport whose driver mints
fake grants (one per guest, naming its topic and server) instead of asking
Zaqar. Appends to ``$ZTT_RECORD`` the arguments and the user of the
control plane's URL, which must come through the environment.
"""

import os
import sys
from urllib import parse

sys.path.insert(0, os.path.abspath(os.path.join(
    os.path.dirname(__file__), '..', '..', '..')))

import oslo_messaging as om  # noqa: E402

from zaqar_trove_tests.rpc import provision  # noqa: E402


class _Driver:

    def share_server_queues(self, target, expires, send_topics=()):
        return [{'paths': ['/v2/queues/%s/messages' % target.topic],
                 'methods': ['GET'], 'expires': expires,
                 'signature': 'fake-%s' % target.server,
                 'sends': [list(s) for s in send_topics]}]


class _Transport:
    _driver = _Driver()

    def cleanup(self):
        pass


def main():
    url = os.environ.get(provision.CONTROL_URL_ENV, '')
    with open(os.environ['ZTT_RECORD'], 'a') as f:
        f.write('provision control-user=%s %s\n' % (
            parse.urlsplit(url).username, ' '.join(sys.argv[1:])))
    om.get_rpc_transport = lambda conf, url: _Transport()
    return provision.main(sys.argv[1:])


if __name__ == '__main__':
    sys.exit(main())
