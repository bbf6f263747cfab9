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

"""``zaqar-trove-tests run``: the suite on the local stack, with a report.

Brings a stack up if none is (and takes that one down at the end), runs
``tempest run`` in the stack's tempest workspace with its tempest.conf,
exports the stestr results as subunit and HTML under ``reports/`` and
prints ``tempest: N passed, N failed, N skipped``.
"""

import io
import os
import subprocess
import time

from zaqar_trove_tests.stack import binaries
from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import errors

#: The named suites: ``contracts`` (api, rpc, scenario, security: the
#: parallel tests a developer waits for), ``faults`` (services stopped and
#: killed on the stack: serial, minutes) and ``all``.
SUITES = {
    'contracts': r'^zaqar_trove_tests\.tests\.(?!faults\.)',
    'faults': r'^zaqar_trove_tests\.tests\.faults\.',
    'all': r'^zaqar_trove_tests\.tests\.',
}
#: tempest run options that choose tests: given any, no default regex.
SELECTION = ('--regex', '-r', '--smoke', '-s', '--include-list',
             '--include_list', '--whitelist-file', '--whitelist_file',
             '--load-list', '--load_list', '--worker-file', '--worker_file')


def tempest_args(args, concurrency=None, suite='contracts'):
    """Arguments for ``tempest run``: the user's, else ``suite``'s regex."""
    out = list(args)
    if not any(a.split('=', 1)[0] in SELECTION for a in args):
        out = ['--regex', SUITES[suite]] + out
    if concurrency:
        out += ['--concurrency', str(concurrency)]
    return out


def count(subunit_bytes):
    """``(passed, failed, skipped)`` of a subunit v2 stream.

    Expected failures (known defects) count as passed, unexpected
    successes as failed, as in .ci/summary.
    """
    import subunit
    import testtools

    summary = testtools.StreamSummary()
    summary.startTestRun()
    subunit.ByteStreamToStreamResult(
        io.BytesIO(subunit_bytes), non_subunit_name='stdout').run(summary)
    summary.stopTestRun()
    failed = (len(summary.failures) + len(summary.errors)
              + len(summary.unexpectedSuccesses))
    skipped = len(summary.skipped)
    return summary.testsRun - skipped - failed, failed, skipped


def _next_stream(workspace):
    try:
        with open(os.path.join(workspace, '.stestr', 'next-stream')) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


def report(stack, before, echo):
    """Export the run stestr recorded after ``before``; return counts."""
    workspace = stack.paths.tempest
    if _next_stream(workspace) <= before:
        echo('no test results were recorded')
        return 0, 0, 0
    last = subprocess.run([binaries.tool('stestr'), 'last', '--subunit'],
                          cwd=workspace, capture_output=True)
    reports = stack.paths.reports
    os.makedirs(reports, exist_ok=True)
    base = os.path.join(reports, 'tempest-%s' % time.strftime(
        '%Y%m%d-%H%M%S'))
    with open(base + '.subunit', 'wb') as f:
        f.write(last.stdout)
    subprocess.run([binaries.tool('subunit2html'), base + '.subunit',
                    base + '.html'], check=True, stdout=subprocess.DEVNULL)
    echo('stestr results: %s/.stestr, subunit: %s.subunit' % (
        workspace, base))
    echo('HTML report: %s.html' % base)
    return count(last.stdout)


def _tempest(argv, cwd):
    """Run tempest; if we are interrupted, stop it before returning."""
    child = subprocess.Popen(argv, cwd=cwd)
    try:
        return child.wait()
    except BaseException:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


def run(stack, args, concurrency=None, use_cache=True, echo=print,
        suite='contracts'):
    """Run tempest on stack (brought up if needed); return its status."""
    owned = False
    dead = [s.name for s in stack.services() if not s.is_running()]
    if stack.state().get('phase') == 'up' and stack.alive() and dead:
        raise errors.StackError(
            'the stack in %s is degraded (%s not running): restart the '
            'service or bring the stack down' % (
                stack.paths.root, ', '.join(dead)))
    if not stack.is_up():
        echo('no stack is up in %s: bringing one up' % stack.paths.root)
        result = bringup.up(stack, use_cache=use_cache, echo=echo)
        echo('stack up in %.1f s (%s start)' % (
            result['seconds'], 'warm' if result['warm'] else 'cold'))
        owned = True
    try:
        workspace = stack.paths.tempest
        before = _next_stream(workspace)
        argv = [binaries.tool('tempest'), 'run', '--config-file',
                stack.tempest_conf] + tempest_args(args, concurrency, suite)
        echo('running: %s' % ' '.join(argv))
        code = _tempest(argv, workspace)
        passed, failed, skipped = report(stack, before, echo)
        echo('tempest: %d passed, %d failed, %d skipped' % (
            passed, failed, skipped))
        return code
    finally:
        if owned:
            stopped = stack.down()
            echo('stack down (%s)' % ', '.join(stopped))
