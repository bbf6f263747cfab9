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


"""Access to the recorded Zaqar exchanges (tools/record_responses.py)."""

import glob
import json
import os

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'recordings')


def load(kind):
    """Every recorded entry of ``kind`` ('rest' or 'ws'), file by file.

    :returns: ``[(scenario name, entry)]`` named ``<file stem>.<name>``.
    """
    entries = []
    for path in sorted(glob.glob(os.path.join(DIR, kind + '_*.json'))):
        stem = os.path.basename(path)[:-len('.json')]
        with open(path) as f:
            entries.extend(('%s.%s' % (stem, entry['name']), entry)
                           for entry in json.load(f))
    return entries


def scenarios(kind, predicate=lambda entry: True):
    """testscenarios scenarios, one per matching entry."""
    return [(name, {'entry': entry}) for name, entry in load(kind)
            if predicate(entry)]
