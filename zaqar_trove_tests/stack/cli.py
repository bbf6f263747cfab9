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

"""The ``zaqar-trove-tests`` console command.

::

    zaqar-trove-tests stack up [--state-dir D] [--no-cache]
                               [--zaqar-workers N] [--zaqar-websockets M]
                               [--zaqar-pools P] [--zaqar-variant NAME[,NAME]]
    zaqar-trove-tests stack down [--state-dir D]
    zaqar-trove-tests stack status [--state-dir D]
    zaqar-trove-tests run [--state-dir D] [--concurrency N]
                          [--suite contracts|faults|all] [TEMPEST RUN ARGS]

The state directory defaults to ``$ZTT_STATE_DIR``, else ``./.stack``.
"""

import argparse
import signal
import sys

from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import control
from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import paths as stack_paths
from zaqar_trove_tests.stack import tempest_run
from zaqar_trove_tests.stack import variants


def _common(parser):
    parser.add_argument(
        '--state-dir', default=None,
        help='state directory (default: $%s, else ./.stack)' % (
            stack_paths.STATE_DIR_ENV))


def _variants(text):
    try:
        return variants.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('%r is not a whole number >= 1'
                                         % text)
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog='zaqar-trove-tests', allow_abbrev=False,
        description='Local Redis/RabbitMQ/Keystone/Zaqar stack and the '
                    'tempest suite on it.')
    commands = parser.add_subparsers(dest='command', required=True)
    stack = commands.add_parser('stack', help='start, stop or show the '
                                'local stack', allow_abbrev=False)
    stack.add_argument('action', choices=['up', 'down', 'status'])
    _common(stack)
    stack.add_argument('--no-cache', action='store_true',
                       help='neither use nor fill the warm-start cache')
    stack.add_argument('--zaqar-variant', default='', type=_variants,
                       metavar='NAME[,NAME]',
                       help='opt-in Zaqar variants, for measuring (up '
                            'only; known: %s)' % ', '.join(
                                sorted(variants.VARIANTS)))
    stack.add_argument('--zaqar-workers', type=_positive, default=None,
                       metavar='N',
                       help='Zaqar API gunicorn workers (up only; default '
                            '$ZTT_ZAQAR_WORKERS, else 3)')
    stack.add_argument('--zaqar-websockets', type=_positive, default=1,
                       metavar='M',
                       help='Zaqar websocket servers, services '
                            'zaqar-websocket, zaqar-websocket-2... (up '
                            'only; default 1); the zaqar:// URL lists them '
                            'all')
    stack.add_argument('--zaqar-pools', type=_positive, default=1,
                       metavar='P',
                       help='Redis servers (redis, redis-2...); more than 1: '
                            "Zaqar's pooling over them, one pool each, equal "
                            'weights (up only; default 1, no pooling)')
    run = commands.add_parser(
        'run', allow_abbrev=False,
        help='run the tempest suite on the stack (brought up and down if '
             'none runs); other arguments go to "tempest run"')
    _common(run)
    run.add_argument('--concurrency', type=int, default=6,
                     help='tempest workers (default 6, on 2 cores too: '
                          'the tests mostly wait on the services)')
    run.add_argument('--no-cache', action='store_true',
                     help='neither use nor fill the warm-start cache')
    run.add_argument('--suite', default='contracts',
                     choices=sorted(tempest_run.SUITES),
                     help='the tests to run unless tempest arguments '
                          'choose some (default contracts: all but the '
                          'faults)')
    return parser


def _status(stack):
    data = stack.state()
    if not data:
        print('no stack recorded in %s' % stack.paths.root)
        return 1
    print('stack in %s: %s%s' % (
        stack.paths.root, data.get('phase', '?'),
        ' (%s start, up in %.1f s)' % (
            'warm' if data.get('warm') else 'cold', data['up_seconds'])
        if data.get('up_seconds') and data.get('phase') == 'up' else ''))
    chosen = data.get('settings', {}).get('zaqar_variants')
    if chosen:
        print('Zaqar variant (not stock): %s' % variants.describe(chosen))
    print('%-18s %7s  %-34s %s' % ('SERVICE', 'PID', 'PORTS', 'STATE'))
    for st in stack.status():
        ports = ' '.join('%s=%d' % kv for kv in st['ports'].items())
        state = ('running' if st['running'] else 'not running') + (
            ', listening' if st['listening'] else '')
        print('%-18s %7s  %-34s %s' % (st['name'], st['pid'] or '-', ports,
                                       state))
    settings = data.get('settings')
    if settings:
        print('identity: %s  messaging: %s (%s workers)  websocket: %s' % (
            configs.keystone_url(settings), configs.zaqar_url(settings),
            settings.get('zaqar_workers', '?'),
            ' '.join(configs.zaqar_ws_urls(settings))))
    print('tempest.conf: %s (admin credentials in [auth])'
          % stack.tempest_conf)
    return 0 if stack.is_up() else 1


def _up(stack, use_cache, zaqar_variants, zaqar_websockets=1,
        zaqar_workers=None, zaqar_pools=1):
    result = bringup.up(stack, use_cache=use_cache, echo=print,
                        zaqar_variants=zaqar_variants,
                        zaqar_websockets=zaqar_websockets,
                        zaqar_workers=zaqar_workers, zaqar_pools=zaqar_pools)
    print('stack up in %.1f s (%s start)' % (
        result['seconds'], 'warm' if result['warm'] else 'cold'))
    _status(stack)
    return 0


def _down(stack):
    stopped = stack.down()
    print('stopped: %s' % (', '.join(stopped) or 'nothing was running'))
    return 0


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None):
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != 'run':
        parser.error('unrecognized arguments: %s' % ' '.join(rest))
    # A terminated command still stops what it started.
    signal.signal(signal.SIGTERM, _terminate)
    stack = control.Stack(args.state_dir)
    try:
        if args.command == 'run':
            return tempest_run.run(stack, rest, args.concurrency,
                                   use_cache=not args.no_cache,
                                   suite=args.suite)
        if args.action == 'up':
            return _up(stack, not args.no_cache, args.zaqar_variant,
                       args.zaqar_websockets, args.zaqar_workers,
                       args.zaqar_pools)
        if args.action == 'down':
            return _down(stack)
        return _status(stack)
    except errors.StackError as exc:
        print('zaqar-trove-tests: error: %s' % exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
