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

"""``python -m zaqar_trove_tests.soak``: run, sample, judge, report.

Brings the local stack up in ``--state-dir`` (and down) unless one is up
there, runs ``system.System`` for ``--minutes``, samples every minute,
then stops the load, waits for what was acknowledged and judges. Exit
status 0 when every verdict is met; with ``--accounting-only`` (the
short run in ``tox``) only the accounting counts, the trends are
reported.
"""

import argparse
import os
import signal
import time

from zaqar_trove_tests.bench import cli as bench_cli
from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import target as bench_target
from zaqar_trove_tests.soak import report
from zaqar_trove_tests.soak import sample
from zaqar_trove_tests.soak import system as soak_system
from zaqar_trove_tests.soak import verdict
from zaqar_trove_tests.stack import control

#: Seconds between samples; a short run samples six times.
SAMPLE_S = 60


def parser():
    p = argparse.ArgumentParser(prog='python -m zaqar_trove_tests.soak',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--minutes', type=float, default=60,
                   help='judged minutes, after the warm-up')
    p.add_argument('--warmup', type=float, default=5,
                   help='minutes of load judged by nothing first')
    p.add_argument('--guests', type=int, default=200)
    p.add_argument('--callers', type=int, default=3)
    p.add_argument('--call-period', type=float, default=1.0,
                   help='seconds between a caller\'s call+cast rounds')
    p.add_argument('--churn', type=int, default=5,
                   help='guests replaced every minute')
    p.add_argument('--accounting-only', action='store_true',
                   help='judge the accounting only (short runs)')
    p.add_argument('--state-dir', default=os.path.join(os.getcwd(),
                                                       '.stack-soak'))
    p.add_argument('--out', default=os.path.join('reports', 'soak'))
    return p


def _calls(system, started):
    return [{'end_s': round(r.ended - started, 3),
             'ms': round(1000.0 * (r.ended - r.started), 2),
             'ok': r.outcome == 'ok'} for r in system.calls.results()]


def soak(stack, args, log_dir, echo):
    """Run the load on ``stack``; return the result document."""
    target = bench_target.Target(stack)
    system = soak_system.System(
        target.url('push'), target.url('push'),
        os.path.join(log_dir, 'guests.log'), guests=args.guests,
        callers=args.callers, churn=args.churn)
    echo('starting %d guests' % args.guests)
    system.start(call_period=args.call_period)
    started = last = time.monotonic()
    end = started + (args.warmup + args.minutes) * 60
    every = min(SAMPLE_S, args.minutes * 60 / 6.0)
    samples = []
    try:
        while time.monotonic() < end:
            time.sleep(max(0.0, min(last + every, end) - time.monotonic()))
            now = time.monotonic()
            samples.append(sample.take(stack, system, last, now, started))
            last = now
            s = samples[-1]
            echo('%5.1f min: %d calls (%d failed), p50 %s ms, Redis %.1f '
                 'MiB, %d queues, guests RSS %.0f MiB, %d threads, %d fds' % (
                     s['t_s'] / 60.0, s['calls'], s['calls_failed'],
                     report._fmt(s['call_p50_ms']),
                     s['redis_memory'] / report.MIB, s['queues'],
                     s['driver_rss'] / report.MIB, s['driver_threads'],
                     s['driver_fds']))
    finally:
        run_s = time.monotonic() - started
        echo('stopping the load; waiting for acknowledged requests')
        system.stop()
    ledger = system.ledger
    echo('requests: %s; calls: %s' % (ledger.summary(),
                                      system.calls.outcomes()))
    result = {
        'samples': samples, 'calls': _calls(system, started),
        'run_s': run_s, 'warmup_s': args.warmup * 60,
        'window_s': verdict.window(run_s - args.warmup * 60),
        'requests': dict(ledger.summary(), calls=system.calls.outcomes(),
                         churn=system.churned),
        'accounting': verdict.accounting(
            ledger.summary(), system.calls.outcomes(), ledger.duplicated(),
            ledger.strays()),
    }
    result['trends'] = verdict.trends(samples, result['calls'], run_s,
                                      args.warmup * 60)
    return result


def run(args, echo=print):
    stamp = time.strftime('%Y%m%d-%H%M%S')
    log_dir = os.path.join(args.out, 'soak-%s-logs' % stamp)
    os.makedirs(log_dir, exist_ok=True)
    bench_cli._log_to(os.path.join(log_dir, 'soak.log'))
    stack = control.Stack(args.state_dir)
    owned = bench_cli.bring_up(stack, echo)
    try:
        result = soak(stack, args, log_dir, echo)
    finally:
        if owned:
            echo('stack down: %s' % ', '.join(stack.down()))
    result['config'] = dict(vars(args))
    result['machine'] = machine.describe()
    judged = result['accounting'] + ([] if args.accounting_only
                                     else result['trends'])
    result['ok'] = all(v['ok'] is not False for v in judged)
    for v in result['accounting'] + result['trends']:
        echo('%-32s %s' % (v['name'], v))
    for kind, path in report.write(result, args.out, stamp).items():
        echo('%-8s %s' % (kind, path))
    echo('soak verdict: %s' % ('met' if result['ok'] else 'MISSED'))
    return 0 if result['ok'] else 1


def main(argv=None):
    signal.signal(signal.SIGTERM, bench_cli._terminate)
    return run(parser().parse_args(argv),
               echo=lambda line: print(line, flush=True))
