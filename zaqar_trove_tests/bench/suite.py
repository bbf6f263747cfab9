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


"""The suite's own wall time: ``zaqar-trove-tests run``, cold and warm.

Each run is the README's main command on a fresh state directory (stack
up, tempest, report, stack down), without the tests tagged ``slow``
(those wait for Zaqar's 60-second TTLs): cold without the warm-start
cache, warm with it.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

EXCLUDE = r'\bslow\b'
_SUMMARY = re.compile(r'tempest: (\d+) passed, (\d+) failed, (\d+) skipped')
_UP = re.compile(r'stack up in ([\d.]+) s')


def command(state_dir, cold):
    argv = [os.path.join(os.path.dirname(sys.executable),
                         'zaqar-trove-tests'), 'run', '--state-dir',
            state_dir]
    if cold:
        argv.append('--no-cache')
    return argv + ['--exclude-regex', EXCLUDE]


def parse(output):
    """``(summary text, stack up seconds)`` from the command's output."""
    found = _SUMMARY.search(output)
    summary = ('%s passed, %s failed, %s skipped' % found.groups()
               if found else 'no summary line')
    up = _UP.search(output)
    return summary, float(up.group(1)) if up else None


def run_once(cold, log_path, echo=print):
    state = tempfile.mkdtemp(prefix='ztt-bench-suite-')
    argv = command(state, cold)
    started = time.monotonic()
    try:
        with open(log_path, 'wb') as log:
            proc = subprocess.run(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            log.write(proc.stdout)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    wall = time.monotonic() - started
    summary, up = parse(proc.stdout.decode(errors='replace'))
    echo('  %s: %.0f s (stack up %s s), %s' % (
        'cold' if cold else 'warm', wall, up, summary))
    return {'wall_s': wall, 'stack_up_s': up, 'summary': summary,
            'returncode': proc.returncode, 'log': log_path,
            'command': ' '.join(argv[1:])}


def measure(log_dir, echo=print):
    """``{cold: run, warm: run}`` (cold first: it also fills the cache)."""
    return {name: run_once(name == 'cold', os.path.join(
        log_dir, 'suite-%s.log' % name), echo) for name in ('cold', 'warm')}
