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

"""How each service is started and how its readiness is probed.

A spec is a plain dict (it is stored in the state file, so any process
can restart the service exactly as ``up`` started it):

``argv``, ``env`` (added to the caller's environment), ``cwd``, ``log``,
``ports`` (``{label: port}``, all must be held by the service's processes),
``probe`` (see ``probes``), ``ready_timeout`` and ``stop_timeout``.
"""

import os
import sys

from zaqar_trove_tests.stack import configs

#: Start order; ``down`` stops in reverse. Websocket servers 2.. follow
#: ``zaqar-websocket`` (``configs.ws_services``).
ORDER = ('epmd', 'redis', 'rabbitmq', 'keystone', 'zaqar', 'zaqar-websocket')

_PY_ENV = {'PYTHONUNBUFFERED': '1',
           'PYTHONWARNINGS': 'ignore::DeprecationWarning'}
_GUNICORN_CONF = 'python:zaqar_trove_tests.stack.gunicorn_conf'


def _spec(paths, name, argv, ports, probe, env=None, ready_timeout=60,
          stop_timeout=10):
    return {
        'name': name, 'argv': [str(a) for a in argv], 'env': env or {},
        'cwd': paths.root, 'log': paths.log(name), 'ports': ports,
        'probe': probe, 'ready_timeout': ready_timeout,
        'stop_timeout': stop_timeout,
    }


def _gunicorn(port, app, workers, threads, worker_class):
    return [sys.executable, '-m', 'gunicorn', '-c', _GUNICORN_CONF,
            '--preload', '--bind', '%s:%d' % (configs.HOST, port),
            '--workers', workers, '--threads', threads,
            '--worker-class', worker_class, '--keep-alive', 30,
            '--timeout', 120, '--graceful-timeout', 5, app]


def build(paths, settings, programs):
    """``{name: spec}`` in start order.

    :param programs: ``{program: path}`` from ``binaries.find_all``.
    """
    ports = settings['ports']
    secrets = settings['secrets']
    specs = [
        _spec(paths, 'epmd',
              [programs['epmd'], '-port', ports['epmd'],
               '-address', configs.HOST],
              {'epmd': ports['epmd']}, {'type': 'tcp'}, ready_timeout=10),
        _spec(paths, 'redis', [programs['redis-server'], paths.redis_conf],
              {'redis': ports['redis']}, {'type': 'redis'},
              ready_timeout=20),
        _spec(paths, 'rabbitmq', [programs['rabbitmq-server']],
              {'amqp': ports['rabbit'], 'dist': ports['rabbit_dist']},
              {'type': 'amqp', 'port': 'amqp', 'user': configs.RABBIT_USER,
               'password': secrets['rabbit_password']},
              env=configs.rabbit_env(paths, settings), ready_timeout=90,
              stop_timeout=20),
        # One worker, one thread: sqlite says "database is locked"
        # otherwise.
        _spec(paths, 'keystone',
              _gunicorn(ports['keystone'],
                        'zaqar_trove_tests.stack.keystone_wsgi:application',
                        1, 1, 'sync'),
              {'http': ports['keystone']},
              {'type': 'http', 'path': '/v3', 'status': [200]},
              env=dict(_PY_ENV, ZTT_KEYSTONE_CONFIG=paths.keystone_conf,
                       ZTT_CONFIG_DIR=paths.empty_conf_dir),
              ready_timeout=90),
        # Zaqar's own server is single-threaded HTTP/1.0 with a backlog of
        # 5: serve the API with several gunicorn workers instead.
        _spec(paths, 'zaqar',
              _gunicorn(ports['zaqar'],
                        'zaqar_trove_tests.stack.zaqar_wsgi:application',
                        settings.get('zaqar_workers', 3),
                        settings.get('zaqar_threads', 4), 'gthread'),
              {'http': ports['zaqar']},
              {'type': 'http', 'path': '/', 'status': [200, 300]},
              env=dict(_PY_ENV, ZTT_ZAQAR_CONFIG=paths.zaqar_conf,
                       ZTT_OPS_DIR=paths.zaqar_ops),
              ready_timeout=90),
    ]
    specs[2:2] = [_redis(paths, i, ports, programs)
                  for i in range(2, configs.pool_count(settings) + 1)]
    specs += [_websocket(paths, settings, i)
              for i in range(1, configs.ws_count(settings) + 1)]
    return {spec['name']: spec for spec in specs}


def _redis(paths, index, ports, programs):
    """Redis server ``index`` (2..): a Zaqar pool's store."""
    name = configs.redis_service(index)
    return _spec(paths, name,
                 [programs['redis-server'], paths.redis_conf_of(index)],
                 {'redis': ports[name]}, {'type': 'redis'},
                 ready_timeout=20)


def _websocket(paths, settings, index):
    """Websocket server ``index``: zaqar.conf, then its own small file."""
    name = configs.ws_service(index)
    ws, notify = configs.ws_port_names(index)
    return _spec(
        paths, name,
        [sys.executable, '-m', 'zaqar_trove_tests.stack.zaqar_ws', name],
        {'websocket': settings['ports'][ws],
         'notification': settings['ports'][notify]},
        {'type': 'tcp'},
        env=dict(_PY_ENV, ZTT_OPS_DIR=paths.zaqar_ops,
                 ZTT_ZAQAR_CONFIG=os.pathsep.join(
                     [paths.zaqar_conf, paths.zaqar_ws_conf_of(index)])),
        ready_timeout=90)
