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

"""Zaqar's websocket server with our configuration files.

Run as ``python -m zaqar_trove_tests.stack.zaqar_ws [SERVICE]`` (the
stack service name it counts its operations as, ``zaqar-websocket`` by
default; ``zaqar-websocket-2``... for the others); the files in
``$ZTT_ZAQAR_CONFIG`` set ``[drivers] transport = websocket``. Frames,
connections and notification webhooks are counted (``opcounter``:
harness instrumentation for the benchmark).
"""

import sys

from zaqar import bootstrap

from zaqar_trove_tests.stack import opcounter
from zaqar_trove_tests.stack import zaqar_app


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    name = argv[0] if argv else 'zaqar-websocket'
    counter = opcounter.Counter(name)
    opcounter.install_websocket(counter)
    counter.start()
    bootstrap.Bootstrap(zaqar_app.load_conf(name)).run()


if __name__ == '__main__':
    main()
