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


"""``tox -e bench``: measure zaqar:// against rabbit:// and Zaqar itself.

Brings up its own local stack in ``--state-dir`` (default
``./.bench-stack``) unless one is already up there, runs the stages,
takes down what it started, and writes ``bench-<time>.json``, ``.md``
and ``.png`` to ``--out`` (default ``./reports/bench``). Stages:

- ``floor``: Zaqar's primitives, one request at a time;
- ``calls``: call() latency and calls/s per transport, servers, callers,
  and the floor call, taking turns (``rpcbench.interleaved``; polling in
  a pass of its own, after the others);
- ``casts``: cast throughput, sent and received, and the cast floor;
- ``idle``: idle guests (push and poll steps), after a no-guest baseline;
- ``sweep``: Zaqar API workers x threads (only on a stack it started);
- ``variant``: stock Zaqar against the opt-in variants (``variant``;
  only on a stack it started);
- ``scale``: the floor-ws call and zaqar:// push on 1 against 2 Zaqar
  websocket servers and 1 against 2 Zaqar pools at 8 and 32 callers
  (``scale``; only on a stack it started, which it then brings up with 2
  websocket servers and 2 pools);
- ``profile``: py-spy on the Zaqar API workers and websocket server
  under the floor call (``spy``, ``profile``);
- ``suite``: ``zaqar-trove-tests run`` cold and warm (its own stacks).

``--check``, ``--render``, ``--capacity`` (``capacity``) and
``--profile-page`` measure nothing: they read an earlier run's JSON.

The default is ``floor,calls,casts,idle,variant``; ``--quick`` shortens
everything for a smoke run.
"""

import argparse
import json
import logging
import os
import shlex
import signal
import sys
import time
import traceback

from zaqar_trove_tests.bench import floor
from zaqar_trove_tests.bench import idle
from zaqar_trove_tests.bench import machine
from zaqar_trove_tests.bench import report
from zaqar_trove_tests.bench import rpcbench
from zaqar_trove_tests.bench import stats
from zaqar_trove_tests.bench import target as bench_target
from zaqar_trove_tests.bench import targets
from zaqar_trove_tests.stack import bringup
from zaqar_trove_tests.stack import control

STAGES = ('floor', 'calls', 'casts', 'idle', 'sweep', 'variant', 'scale',
          'profile', 'suite')
#: Stages that restart or reshape Zaqar: only on a stack the bench started.
OWN_STACK_STAGES = ('sweep', 'variant', 'scale')
DEFAULT_STAGES = 'floor,calls,casts,idle,variant'
#: Floors: call floors (``floor.PingPong`` arguments) and the cast floor.
CALL_FLOORS = {'floor': {}, 'floor-claim': {'claim': True},
               'floor-ws': {'ws': True},
               'floor-claim-ws': {'claim': True, 'ws': True}}
FLOORS = tuple(CALL_FLOORS) + ('floor-cast',)
TUNING = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'tuning.json')


def _ints(text):
    return [int(x) for x in text.split(',') if x.strip()]


def _names(text):
    return [x.strip() for x in text.split(',') if x.strip()]


def parser():
    p = argparse.ArgumentParser(
        prog='python -m zaqar_trove_tests.bench', allow_abbrev=False,
        description=__doc__.split('\n\n')[0])
    p.add_argument('--state-dir', default=None,
                   help='stack state directory; a stack up there is used '
                        'and left up (default ./.bench-stack)')
    p.add_argument('--out', default=os.path.join('reports', 'bench'),
                   help='where the JSON, markdown and PNG go')
    p.add_argument('--stages', default=DEFAULT_STAGES, type=_names,
                   help='comma-separated, from %s' % ','.join(STAGES))
    p.add_argument('--transports', default='rabbit,push,poll', type=_names,
                   help='rabbit, push (zaqar:// websocket) and/or poll')
    p.add_argument('--floors', default=','.join(FLOORS), type=_names,
                   help='floors measured beside the transports, from %s' %
                        ','.join(FLOORS))
    p.add_argument('--servers', default='1,2', type=_ints)
    p.add_argument('--callers', default='1,8,32', type=_ints)
    p.add_argument('--duration', default=5.0, type=float,
                   help='seconds per call cell (all rounds together)')
    p.add_argument('--rounds', default=3, type=int,
                   help='call cells are measured in this many blocks, '
                        'taking turns with the other transports')
    p.add_argument('--samples', default=200, type=int,
                   help='samples per Zaqar primitive')
    p.add_argument('--casts', default=1000, type=int)
    p.add_argument('--idle-push', default='1,10,100,1000', type=_ints,
                   help='idle guest counts with push')
    p.add_argument('--idle-poll', default='1,10,30', type=_ints,
                   help='idle guest counts with polling (each polls)')
    p.add_argument('--idle-window', default=20.0, type=float,
                   help='seconds each idle step is measured')
    p.add_argument('--guests-per-process', default=250, type=int)
    p.add_argument('--profile-seconds', default=20.0, type=float,
                   help='seconds the profile stage records')
    p.add_argument('--profile-callers', default=8, type=int,
                   help='floor callers during the profile stage')
    p.add_argument('--quick', action='store_true',
                   help='short smoke run (seconds, not minutes)')
    p.add_argument('--check', metavar='JSON', default=None,
                   help='measure nothing: judge an earlier run\'s JSON '
                        'against the targets; exit 1 if one is missed')
    p.add_argument('--capacity', metavar='JSON', default=None,
                   help='measure nothing: write the capacity model '
                        '(reStructuredText) of an earlier run\'s JSON to '
                        '--out if it names a .rst file, else to '
                        'capacity.rst in --out')
    p.add_argument('--profile-page', metavar='JSON', default=None,
                   help='measure nothing: write the profile (markdown) of '
                        'an earlier run\'s JSON to --out if it names a .md '
                        'file, else to profile.md in --out')
    p.add_argument('--render', metavar='JSON', default=None,
                   help='measure nothing: write the markdown and PNG of '
                        'an earlier run\'s JSON again (with the current '
                        'tuning steps) next to it')
    return p


def _quick(args):
    args.duration = 2.0
    args.samples = 30
    args.casts = 200
    args.idle_push = [1, 10]
    args.idle_poll = [1, 10]
    args.idle_window = 10.0
    args.profile_seconds = min(args.profile_seconds, 5.0)
    args.callers = [c for c in args.callers if c <= 8] or [1]
    args.servers = args.servers[:1]


def _floor(target, args, log_dir, echo):
    prims = floor.primitives(target, args.samples)
    echo('  primitives p50 (ms): ' + ', '.join(
        '%s %.1f' % (name, prims[name]['p50']) for name in prims))
    return {'primitives': prims}


#: Transports measured in a pass of their own, after the others: a polling
#: server reads hot for a while after its turn, and its reads would load
#: the next system's cells (the floor's most of all).
LATER = ('poll',)


def _calls(target, args, log_dir, echo):
    """Floors and transports interleaved (rpcbench), then ``LATER``'s."""
    first = [t for t in args.transports if t not in LATER]
    later = [t for t in args.transports if t in LATER]
    cells = _interleaved(target, args, log_dir, echo, args.floors, first)
    if later:
        cells += _interleaved(target, args, log_dir, echo, (), later)
    return cells


def _interleaved(target, args, log_dir, echo, floors, transports):
    systems = []
    try:
        for name in floors:
            if name in CALL_FLOORS:
                systems.append(floor.PingPong(target, log_dir,
                                              **CALL_FLOORS[name]))
        for transport in transports:
            for count in args.servers:
                systems.append(rpcbench.RpcSystem(target, transport, count,
                                                  log_dir))
        return rpcbench.interleaved(target, systems, args.callers,
                                    args.duration, args.rounds, echo=echo)
    finally:
        for system in systems:
            system.close()


def _split_floor_calls(results):
    """Floor-call cells go with the floor, the others stay calls."""
    cells = results.get('calls')
    if not cells:
        return
    floor_part = results.setdefault('floor', {})
    for transport, key in report.FLOOR_KEYS.items():
        floor_part[key] = [c for c in cells if c['transport'] == transport]
    results['calls'] = [c for c in cells
                        if c['transport'] not in report.FLOOR_KEYS]


def _casts(target, args, log_dir, echo):
    """The cast floor (transport ``floor``), then every transport."""
    out = []
    if 'floor-cast' in args.floors:
        out.append(floor.casts(target, args.casts, 8, log_dir, echo=echo))
    return out + [rpcbench.casts(target, transport, args.casts, 8, log_dir,
                                 echo=echo) for transport in args.transports]


def _idle(target, args, log_dir, echo):
    base = idle.baseline(target, min(args.idle_window, 10.0))
    echo('  no guest: Zaqar+Redis %.1f %% of a core' % (
        100 * base['zaqar_redis']))
    steps = []
    for delivery, counts in (('push', args.idle_push),
                             ('poll', args.idle_poll)):
        if delivery not in args.transports:
            continue
        for count in counts:
            steps.append(idle.step(target, delivery, count,
                                   args.idle_window, log_dir,
                                   per_process=args.guests_per_process,
                                   echo=echo))
    return {'baseline': base, 'steps': steps}


def _project_idle(results):
    """Add the rare events' cost to each push step (``idle.project``)."""
    prims = results.get('floor', {}).get('primitives')
    steps = results.get('idle', {}).get('steps', [])
    if not prims or not steps:
        return
    defaults = idle.driver_defaults()
    results['idle']['projection'] = defaults
    for step in steps:
        if step['delivery'] == 'push':
            step['projected'] = idle.project(step, prims, defaults)


def _thin(results):
    """Keep at most 2000 latency samples per cell in the JSON."""
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith('samples_ms') and isinstance(value, list):
                    node[key] = stats.thin(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(results)


def _tuning():
    try:
        with open(TUNING) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def write(results, out_dir, stamp):
    """Write JSON, markdown and PNG; return their paths."""
    base = os.path.join(out_dir, 'bench-%s' % stamp)
    paths = {'json': base + '.json', 'markdown': base + '.md',
             'plot': base + '.png'}
    with open(paths['json'], 'w') as f:
        f.write(report.to_json(results))
    with open(paths['markdown'], 'w') as f:
        f.write(report.markdown(results))
    try:
        from zaqar_trove_tests.bench import plot
        plot.render(results, paths['plot'])
    except ImportError as exc:
        paths['plot'] = 'not written (%s: pip install -r ' \
                        'bench-requirements.txt)' % exc
    return paths


def _log_to(path):
    """Library logs (drivers, oslo) go to a file, not the console."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s %(name)s: %(message)s'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def bring_up(stack, echo, zaqar_websockets=1, zaqar_pools=1):
    """Bring the stack up unless it is; True if this call did."""
    if stack.is_up():
        echo('using the stack already up in %s (left up)' % stack.paths.root)
        return False
    echo('bringing a stack up in %s%s' % (
        stack.paths.root, ' with %d Zaqar websocket servers and %d pools' % (
            zaqar_websockets, zaqar_pools)
        if (zaqar_websockets, zaqar_pools) != (1, 1) else ''))
    result = bringup.up(stack, echo=lambda line: echo('  ' + line.strip()),
                        zaqar_websockets=zaqar_websockets,
                        zaqar_pools=zaqar_pools)
    echo('stack up in %.1f s (%s start)' % (
        result['seconds'], 'warm' if result['warm'] else 'cold'))
    return True


def run(args, echo=print):
    stamp = time.strftime('%Y%m%d-%H%M%S')
    os.makedirs(args.out, exist_ok=True)
    log_dir = os.path.join(args.out, 'bench-%s-logs' % stamp)
    os.makedirs(log_dir, exist_ok=True)
    started = time.monotonic()
    results = {'machine': machine.describe(), 'errors': {},
               'command': 'python -m zaqar_trove_tests.bench ' + ' '.join(
                   shlex.quote(a) for a in sys.argv[1:]),
               'config': {k: v for k, v in vars(args).items()}}
    echo('machine: %(cores)s cores, load %(load_1_5_15)s' %
         results['machine'])
    _log_to(os.path.join(log_dir, 'bench.log'))
    stack = control.Stack(args.state_dir or os.path.join(os.getcwd(),
                                                         '.bench-stack'))
    stages = [s for s in STAGES if s in args.stages and s != 'suite']
    owned = False
    try:
        if stages:
            owned = bring_up(stack, echo, *_shape(stages))
            target = bench_target.Target(stack)
            workers, threads = _zaqar_deployment(stack)
            results['stack'] = {'state_dir': stack.paths.root,
                                'owned': owned, 'zaqar_workers': workers,
                                'zaqar_threads': threads,
                                'zaqar_websockets': len(target.ws_urls),
                                'zaqar_pools': len(target.redis_services)}
        for stage in stages:
            if stage in OWN_STACK_STAGES and not owned:
                echo('%s skipped: it restarts or reshapes Zaqar, and this '
                     'stack was not started by the benchmark' % stage)
                continue
            echo('%s:' % stage)
            stage_started = time.monotonic()
            try:
                results[stage] = _STAGES[stage](target, args, log_dir, echo)
            except Exception:
                results['errors'][stage] = traceback.format_exc()
                echo('  %s FAILED:\n%s' % (stage, results['errors'][stage]))
            echo('  (%s took %.0f s)' % (stage, time.monotonic() -
                                         stage_started))
    finally:
        if owned:
            echo('stack down: %s' % ', '.join(stack.down()))
    if 'suite' in args.stages:
        from zaqar_trove_tests.bench import suite
        echo('suite:')
        try:
            results['suite'] = suite.measure(log_dir, echo)
        except Exception:
            results['errors']['suite'] = traceback.format_exc()
            echo('  suite FAILED:\n%s' % results['errors']['suite'])
    _split_floor_calls(results)
    report.compare(results)
    _project_idle(results)
    results['machine_after'] = machine.describe()
    results['wall_s'] = time.monotonic() - started
    results['targets'] = targets.judge(results)
    results['tuning'] = _tuning()
    _thin(results)
    paths = write(results, args.out, stamp)
    _echo_verdicts(results['targets'], echo)
    for kind, path in paths.items():
        echo('%-8s %s' % (kind, path))
    echo('logs     %s' % log_dir)
    return 1 if results['errors'] else 0


def _echo_verdicts(verdicts, echo):
    for verdict in verdicts:
        echo('%-52s %s: %s' % (verdict['name'], {
            True: 'met', False: 'MISSED', None: '-'}[verdict['ok']],
            verdict['measured']))


def check(path, echo=print):
    """Judge a JSON written by ``run``: 1 if a target is missed, else 0.

    A target the run did not measure is not a miss.
    """
    with open(path) as f:
        verdicts = targets.judge(json.load(f))
    _echo_verdicts(verdicts, echo)
    return 1 if any(v['ok'] is False for v in verdicts) else 0


def render(path, echo=print):
    """Markdown and PNG of a JSON written by ``run``, next to it."""
    with open(path) as f:
        results = json.load(f)
    results['tuning'] = _tuning()
    results['targets'] = targets.judge(results)
    report.compare(results)
    base = os.path.splitext(path)[0]
    with open(base + '.md', 'w') as f:
        f.write(report.markdown(results))
    from zaqar_trove_tests.bench import plot
    plot.render(results, base + '.png')
    echo('markdown %s.md\nplot     %s.png' % (base, base))
    return 0


def _page(page, out, default, echo):
    """Write ``page`` to ``out``, or to ``default`` in directory ``out``."""
    if not out.endswith(os.path.splitext(default)[1]):
        os.makedirs(out, exist_ok=True)
        out = os.path.join(out, default)
    with open(out, 'w') as f:
        f.write(page)
    echo('%-8s %s' % (os.path.splitext(default)[0], out))
    return 0


def capacity_page(path, out, echo=print):
    """The capacity model of a JSON written by ``run`` (``capacity``)."""
    from zaqar_trove_tests.bench import capacity
    with open(path) as f:
        page = capacity.rst(json.load(f), source='``%s``' % path)
    return _page(page, out, 'capacity.rst', echo)


def profile_page(path, out, echo=print):
    """The profile of a JSON written by ``run`` as a markdown page."""
    from zaqar_trove_tests.bench import profile
    with open(path) as f:
        results = json.load(f)
    if not results.get('profile'):
        raise SystemExit('%s has no profile: run --stages profile' % path)
    lines = profile.markdown(results['profile'])
    lines[0] = '# Profile: Zaqar under the floor call'
    return _page('\n'.join(lines + ['Generated from `%s` (`%s`).' % (
        path, results.get('command', ''))]) + '\n', out, 'profile.md', echo)


def _zaqar_deployment(stack):
    from zaqar_trove_tests.bench import sweep
    try:
        return sweep.current(stack)
    except (KeyError, ValueError):
        return None, None


def _sweep(target, args, log_dir, echo):
    from zaqar_trove_tests.bench import sweep
    return sweep.measure(target, log_dir, args.duration, echo=echo)


def _variant(target, args, log_dir, echo):
    from zaqar_trove_tests.bench import variant
    return variant.measure(target, log_dir, args.duration, args.callers,
                           args.rounds, echo=echo)


def _shape(stages):
    """``(websocket servers, pools)`` of a stack the bench starts.

    ``scale`` needs 2 and 2; the other stages then run on them too (the
    zaqar:// URL lists every websocket server; new queues go to either
    pool).
    """
    from zaqar_trove_tests.bench import scale
    return (scale.SERVERS, scale.POOLS) if 'scale' in stages else (1, 1)


def _scale(target, args, log_dir, echo):
    from zaqar_trove_tests.bench import scale
    return scale.measure(target, log_dir, args.duration,
                         [c for c in args.callers if c > 1] or
                         scale.CALLERS, args.rounds, echo=echo)


def _profile(target, args, log_dir, echo):
    from zaqar_trove_tests.bench import spy
    return spy.measure(target, log_dir, args.profile_seconds,
                       args.profile_callers, echo=echo)


_STAGES = {'floor': _floor, 'calls': _calls, 'casts': _casts,
           'idle': _idle, 'sweep': _sweep, 'variant': _variant,
           'scale': _scale, 'profile': _profile}


def _echo(line):
    print(line, flush=True)


def main(argv=None):
    args = parser().parse_args(argv)
    for given, known in ((args.stages, STAGES), (args.floors, FLOORS)):
        unknown = set(given) - set(known)
        if unknown:
            parser().error('unknown: %s' % ', '.join(sorted(unknown)))
    if args.check:
        return check(args.check, echo=_echo)
    if args.render:
        return render(args.render, echo=_echo)
    if args.capacity:
        return capacity_page(args.capacity, args.out, echo=_echo)
    if args.profile_page:
        return profile_page(args.profile_page, args.out, echo=_echo)
    if args.quick:
        _quick(args)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(args, echo=_echo)
    except KeyboardInterrupt:
        return 130
