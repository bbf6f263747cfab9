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

"""``up``: configure, start and check every service of a new stack.

Order (things that do not depend on each other overlap)::

    epmd, redis  ->  rabbitmq (boots for ~8 s in the background)
    keystone/zaqar data: restored from the warm cache, or created by two
        setup processes running side by side
    keystone, zaqar (gunicorn), zaqar websocket server(s)
    keystone ready -> projects, users, roles, catalog -> (cold) save cache
    zaqar, websocket, rabbitmq ready -> an authenticated Zaqar request
    tempest workspace (tempest init ran in the background) + tempest.conf

Any failure stops whatever was started and raises with the tail of the
failing service's log.

``up`` composes the primitives of ``control.Stack`` (state, lock,
services, ``stop_all``) with the services' configuration (``configs``,
``services``, ``identity``, the warm ``cache``); ``control`` never
imports this module. The commands (``cli``, ``tempest_run``, the
benchmark) call ``up`` and sit above it.
"""

import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import requests

from zaqar_trove_tests.stack import binaries
from zaqar_trove_tests.stack import cache as warm_cache
from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import control
from zaqar_trove_tests.stack import errors
from zaqar_trove_tests.stack import identity
from zaqar_trove_tests.stack import ports
from zaqar_trove_tests.stack import services

SETUP_TIMEOUT = 180


class Helper:
    """A short-lived setup process whose output goes to a log file."""

    def __init__(self, name, argv, log, env=None):
        self.name = name
        self.log = log
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, 'wb') as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))

    def wait(self, timeout=SETUP_TIMEOUT):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise errors.ServiceFailed(
                self.name, 'did not finish within %d s' % timeout, self.log,
                control.tail(self.log))
        if code:
            raise errors.ServiceFailed(
                self.name, 'failed with exit status %d' % code, self.log,
                control.tail(self.log))

    def abort(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _refuse_running(stack):
    alive = stack.alive()
    if not alive:
        return
    where = stack.paths.root
    if stack.state().get('phase') == 'up':
        raise errors.StackAlreadyUp(
            'a stack is already up in %s (%s): use it, or run '
            '"zaqar-trove-tests stack down --state-dir %s" first' % (
                where, ', '.join(alive), where))
    raise errors.StackAlreadyUp(
        'processes of an earlier stack still run in %s (%s): run '
        '"zaqar-trove-tests stack down --state-dir %s" first' % (
            where, ', '.join(alive), where))


def _prepare_dirs(paths, settings):
    for directory in paths.fresh_dirs():
        shutil.rmtree(directory, ignore_errors=True)
    for directory in paths.fresh_dirs() + paths.kept_dirs() + [
            paths.empty_conf_dir, paths.keystone_data, paths.zaqar_data,
            paths.rabbit_etc, paths.rabbit_home] + [
            paths.redis_data_of(i)
            for i in range(1, configs.pool_count(settings) + 1)]:
        os.makedirs(directory, mode=0o700, exist_ok=True)


def write_files(files):
    for path, text in files.items():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(text)


def default_workers():
    """Zaqar API gunicorn workers: ``$ZTT_ZAQAR_WORKERS``, else 3."""
    return int(os.environ.get('ZTT_ZAQAR_WORKERS', 3))


def _settings(secrets, zaqar_variants, zaqar_websockets, zaqar_workers,
              zaqar_pools=1):
    return {
        'zaqar_variants': list(zaqar_variants),
        'zaqar_websockets': zaqar_websockets,
        'zaqar_pools': zaqar_pools,
        'ports': ports.choose(configs.port_names(zaqar_websockets,
                                                 zaqar_pools)),
        'secrets': secrets,
        'region': configs.REGION,
        'zaqar_workers': (default_workers() if zaqar_workers is None
                          else zaqar_workers),
        'zaqar_threads': int(os.environ.get('ZTT_ZAQAR_THREADS', 4)),
    }


def _setup_helpers(paths, settings):
    py = sys.executable
    return [
        Helper('keystone setup',
               [py, '-m', 'zaqar_trove_tests.stack.keystone_setup',
                paths.keystone_conf, configs.keystone_url(settings),
                settings['region']],
               paths.log('keystone-setup'),
               env={'ZTT_ADMIN_PASSWORD':
                    settings['secrets']['admin_password']}),
        Helper('zaqar setup',
               [py, '-m', 'zaqar_trove_tests.stack.zaqar_setup',
                paths.zaqar_db],
               paths.log('zaqar-setup'))]


def stestr_conf(tempest_dir):
    """What ``tempest init`` writes to .stestr.conf for this tempest."""
    return ('[DEFAULT]\ntest_path=%s\ntop_dir=%s\ngroup_regex=([^\\.]*\\.)*\n'
            % (os.path.join(tempest_dir, 'test_discover'), tempest_dir))


def _tempest_init(paths):
    """Start ``tempest init`` unless the workspace exists.

    An existing workspace may come from another virtualenv: its
    .stestr.conf is pointed at this environment's tempest.
    """
    conf = os.path.join(paths.tempest, '.stestr.conf')
    if os.path.isfile(conf):
        spec = importlib.util.find_spec('tempest')
        write_files({conf: stestr_conf(os.path.dirname(spec.origin))})
        return None
    shutil.rmtree(paths.tempest, ignore_errors=True)
    return Helper('tempest init',
                  [binaries.tool('tempest'), 'init', '--workspace-path',
                   os.path.join(paths.root, 'tempest-workspaces.yaml'),
                   '--config-dir', paths.empty_conf_dir,
                   '--name', 'zaqar-trove-tests', paths.tempest],
                  paths.log('tempest-init'))


def register_pools(settings, token):
    """Register ``configs.pools`` with Zaqar (admin API), equal weights.

    :returns: None if Zaqar took them all, else what went wrong.
    """
    for name, uri in configs.pools(settings):
        resp = requests.put(
            '%s/v2/pools/%s' % (configs.zaqar_url(settings), name),
            json={'weight': 100, 'uri': uri, 'options': {}},
            headers={'X-Auth-Token': token,
                     'Client-ID': '3381af92-2b9e-11e3-b191-71861300734c'},
            timeout=30)
        if resp.status_code != 201:
            return 'refused pool %s: %d %s' % (name, resp.status_code,
                                               resp.text[:300])
    return None


def smoke(settings, token):
    """One authenticated Zaqar request: keystonemiddleware works.

    :returns: None if it does, else what went wrong.
    """
    resp = requests.get(configs.zaqar_url(settings) + '/v2/queues',
                        headers={'X-Auth-Token': token,
                                 'Client-ID': '3381af92-2b9e-11e3-b191-'
                                              '71861300734c'},
                        timeout=30)
    if resp.status_code not in (200, 204):
        return 'refused an authenticated request: %d %s' % (
            resp.status_code, resp.text[:300])
    return None


class _Clock:

    def __init__(self, echo):
        self.echo = echo or (lambda line: None)
        self.start = time.monotonic()
        self.steps = []

    def mark(self, what):
        elapsed = time.monotonic() - self.start
        self.steps.append((what, round(elapsed, 2)))
        self.echo('  %5.1f s  %s' % (elapsed, what))


def up(stack, use_cache=True, echo=None, zaqar_variants=(),
       zaqar_websockets=1, zaqar_workers=None, zaqar_pools=1):
    """Bring a new stack up in ``stack.paths``.

    :param use_cache: restore (or, cold, fill) the warm-start cache.
    :param echo: callable receiving one progress line at a time.
    :param zaqar_variants: opt-in Zaqar variant names (``variants``).
    :param zaqar_websockets: how many Zaqar websocket servers (>= 1).
    :param zaqar_workers: Zaqar API gunicorn workers (default
        ``default_workers()``).
    :param zaqar_pools: Redis servers; more than 1: Zaqar pools over them
        (``[DEFAULT] pooling``, pools registered by ``register_pools``).
    :returns: ``{'warm': bool, 'seconds': float, 'steps': [...]}``.
    :raises StackAlreadyUp, StackBusy, MissingBinary, ServiceFailed:
    """
    if zaqar_websockets < 1 or zaqar_pools < 1 or (
            zaqar_workers is not None and zaqar_workers < 1):
        raise ValueError('zaqar_websockets, zaqar_pools and zaqar_workers '
                         'must be >= 1')
    paths = stack.paths
    clock = _Clock(echo)
    with stack.lock('bringing the stack up'):
        _refuse_running(stack)
        binaries.check_modules()
        programs = binaries.find_all()
        clock.echo('bringing the stack up in %s' % paths.root)
        cache = warm_cache.WarmCache() if use_cache else None
        warm = bool(cache and cache.exists())
        settings = _settings(cache.secrets() if warm
                             else configs.new_secrets(), zaqar_variants,
                             zaqar_websockets, zaqar_workers, zaqar_pools)
        _prepare_dirs(paths, settings)
        write_files(configs.files(paths, settings))
        specs = services.build(paths, settings, programs)
        stack.write_state({
            'phase': 'starting', 'warm': warm, 'settings': settings,
            'order': list(specs), 'created_at': time.time(),
            'services': {name: {'spec': spec} for name, spec in specs.items()},
        })
        helpers = []
        try:
            _up(stack, settings, cache, warm, helpers, clock)
        except BaseException:
            for helper in helpers:
                helper.abort()
            stack.stop_all()
            stack.update_state(phase='failed')
            raise
        seconds = round(time.monotonic() - clock.start, 2)
        stack.update_state(phase='up', up_seconds=seconds, steps=clock.steps)
    return {'warm': warm, 'seconds': seconds, 'steps': clock.steps}


def _up(stack, settings, cache, warm, helpers, clock):
    paths = stack.paths
    svc = {s.name: s for s in stack.services()}

    def start(*names):
        for name in names:
            svc[name].start(wait=False, fresh_log=True)

    init = _tempest_init(paths)
    if init:
        helpers.append(init)
    redises = configs.redis_services(settings)
    start('epmd', *redises)
    # rabbitmq would start an epmd of its own (which outlives it) if ours
    # did not answer yet.
    svc['epmd'].wait_ready()
    start('rabbitmq')
    if warm:
        try:
            cache.restore(paths)
        except (OSError, sqlite3.Error) as exc:
            raise errors.StackError('the warm-start cache %s is unusable '
                                    '(%s): remove it' % (cache.dir, exc))
        clock.mark('restored keystone and zaqar data from %s' % cache.dir)
    else:
        setup = _setup_helpers(paths, settings)
        helpers.extend(setup)
        for helper in setup:
            helper.wait()
        clock.mark('created keystone and zaqar data')
    start('keystone')
    for name in redises:
        svc[name].wait_ready()
    websockets = configs.ws_services(settings)
    start('zaqar', *websockets)
    svc['keystone'].wait_ready()
    clock.mark('keystone ready')
    token = identity.ensure(settings)
    clock.mark('projects, users, roles and catalog in place')
    if cache and not warm:
        cache.save(paths, settings['secrets'])
        clock.mark('saved the warm-start cache in %s' % cache.dir)
    for name in ['zaqar'] + websockets:
        svc[name].wait_ready()
    problem = register_pools(settings, token) or smoke(settings, token)
    if problem:
        raise svc['zaqar'].failure(problem)
    if len(redises) > 1:
        clock.mark('zaqar pools registered: %s' % ', '.join(
            name for name, _uri in configs.pools(settings)))
    clock.mark('zaqar and its %d websocket server%s ready' % (
        len(websockets), 's' if len(websockets) > 1 else ''))
    svc['rabbitmq'].wait_ready()
    clock.mark('rabbitmq ready')
    if init:
        init.wait()
    write_files({paths.tempest_conf: configs.render_ini(
        configs.tempest_sections(paths, settings))})
    clock.mark('tempest workspace ready: %s' % paths.tempest_conf)
