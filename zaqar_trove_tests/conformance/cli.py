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

"""``python -m zaqar_trove_tests.conformance``: oslo's suite per transport.

Brings the local stack up in ``--state-dir`` (and down) unless one is up
there, then runs ``test_oslo_functional`` with stestr once per transport
(``zaqar://`` with push, with polling, and ``rabbit://``), each into a
repository of its own, ``OUT/TRANSPORT/.stestr`` (``.ci/summary`` counts
them); the transport reaches oslo's harness as it reads it, through
``RPC_TRANSPORT_URL`` and ``NOTIFY_TRANSPORT_URL``, every test with a
timeout (``handover.environment``). Exit status 0 when every run
passed.
"""

import argparse
import os
import signal
import subprocess
import sys

from zaqar_trove_tests.bench import cli as bench_cli
from zaqar_trove_tests.bench import target as bench_target
from zaqar_trove_tests.conformance import handover
from zaqar_trove_tests.stack import control

TRANSPORTS = ('push', 'poll', 'rabbit')
#: stestr's configuration for this suite, relative to the checkout.
STESTR_CONF = '.stestr.oslo-functional.conf'


def parser():
    p = argparse.ArgumentParser(prog='python -m zaqar_trove_tests.conformance',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--transports', default=','.join(TRANSPORTS),
                   help='comma-separated, of %s' % ', '.join(TRANSPORTS))
    p.add_argument('--state-dir', default=os.path.join(os.getcwd(),
                                                       '.stack-oslo'))
    p.add_argument('--out', default=os.path.join('reports', 'oslo-functional'),
                   help='one stestr repository per transport under here')
    p.add_argument('--concurrency', type=int, default=2)
    p.add_argument('--test-timeout', type=int,
                   default=handover.TEST_TIMEOUT,
                   help='seconds a test may take before it fails (%s, '
                        'unless the environment sets it)' %
                        handover.TIMEOUT_VARIABLE)
    p.add_argument('filters', nargs='*',
                   help="stestr's test filters (regular expressions)")
    return p


def stestr(args, transport, url, echo):
    """Run the suite on ``url``; stestr's exit status."""
    repo = os.path.abspath(os.path.join(args.out, transport))
    os.makedirs(repo, exist_ok=True)
    env = handover.environment(os.environ, url, args.test_timeout)
    base = [sys.executable, '-m', 'stestr', '--config', STESTR_CONF,
            '--repo-url', repo]
    echo('== %s: stestr repository %s' % (transport, repo))
    rc = subprocess.call(base + ['run', '--concurrency',
                                 str(args.concurrency)] + args.filters,
                         env=env)
    echo('== %s: %s' % (transport, 'passed' if rc == 0 else 'FAILED'))
    return rc


def run(args, echo=print):
    transports = [t for t in args.transports.split(',') if t]
    unknown = set(transports) - set(TRANSPORTS)
    if unknown:
        raise SystemExit('unknown transport(s): %s' % ', '.join(unknown))
    stack = control.Stack(args.state_dir)
    owned = bench_cli.bring_up(stack, echo)
    results = {}
    try:
        for transport in transports:
            url = bench_target.transport_url(
                stack.settings, transport,
                **handover.TRANSPORT_OPTIONS.get(transport, {}))
            results[transport] = stestr(args, transport, url, echo)
    finally:
        if owned:
            echo('stack down: %s' % ', '.join(stack.down()))
    echo('oslo.messaging functional suite: %s' % ', '.join(
        '%s %s' % (t, 'passed' if rc == 0 else 'FAILED')
        for t, rc in results.items()))
    return 0 if results and not any(results.values()) else 1


def main(argv=None):
    signal.signal(signal.SIGTERM, bench_cli._terminate)
    return run(parser().parse_args(argv),
               echo=lambda line: print(line, flush=True))
