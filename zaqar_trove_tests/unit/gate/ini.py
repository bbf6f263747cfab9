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

"""``iniset``/``iniget`` for devstack_stubs.sh (no interpolation)::

    python ini.py set FILE SECTION OPTION VALUE
    python ini.py get FILE SECTION OPTION
"""

import configparser
import os
import sys


def _load(path):
    parser = configparser.RawConfigParser(default_section='__none__')
    if os.path.exists(path):
        parser.read(path)
    return parser


def main(argv):
    action, path, section, option = argv[:4]
    parser = _load(path)
    if action == 'get':
        if parser.has_option(section, option):
            print(parser.get(section, option))
        return 0
    if not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, option, argv[4])
    with open(path, 'w') as f:
        parser.write(f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
