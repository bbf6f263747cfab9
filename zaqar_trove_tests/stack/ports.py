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

"""Free TCP ports on 127.0.0.1, outside the kernel's ephemeral range.

Ports below the ephemeral range are never handed out to outgoing
connections, so a service stopped by a fault test can take its port back.
A port handed out is recorded machine-wide (``REGISTRY``) for ``HOLD``
seconds and not handed out again meanwhile: stacks brought up at the
same moment (``tox -p`` starts two) would otherwise each find a port free
before either binds it, and another stack could take the port of a
service a fault test stopped.
"""

import contextlib
import fcntl
import json
import os
import random
import socket
import tempfile
import time

HOST = '127.0.0.1'
LOWEST = 20000
_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range'
#: The machine's record of ports handed out: ``{port: held until}``.
REGISTRY = os.path.join(tempfile.gettempdir(), 'zaqar-trove-tests-ports.json')
#: How long (s) a port handed out stays held: longer than any stack of a
#: CI run lives, short enough that the record stays small.
HOLD = 3 * 3600


def ephemeral_range(path=_RANGE_FILE):
    """The (low, high) ephemeral port range, (32768, 60999) if unknown."""
    try:
        with open(path) as f:
            low, high = f.read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def candidate_range(path=_RANGE_FILE):
    """Ports to pick from: [LOWEST, ephemeral low), or 1024 up if narrow."""
    low = ephemeral_range(path)[0]
    if low - LOWEST >= 1000:
        return LOWEST, low - 1
    return 1024, 65535


def is_free(port, host=HOST):
    """Whether a server could bind port on host right now."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
    except OSError:
        return False
    finally:
        sock.close()
    return True


@contextlib.contextmanager
def _held(path, now):
    """``{port: until}`` held at ``now``, locked; recorded on exit.

    Best effort: without a usable record nothing is held.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield {}
        return
    with os.fdopen(fd, 'r+') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            record = json.load(f)
        except ValueError:
            record = {}
        held = {}
        for port, until in (record.items() if isinstance(record, dict)
                            else ()):
            if (port.isdigit() and isinstance(until, (int, float)) and
                    until > now):
                held[int(port)] = until
        yield held
        f.seek(0)
        f.truncate()
        json.dump({str(port): until for port, until in held.items()}, f)


def choose(names, rng=None, low=None, high=None, attempts=2000,
           registry=None):
    """Map each name to a distinct free port, none held (``REGISTRY``).

    :param names: iterable of names (ordered).
    :param rng: a ``random.Random``; default is seeded by the system.
    :param registry: the record of held ports (default ``REGISTRY``).
    :raises RuntimeError: if too few free ports were found.
    """
    rng = rng or random.SystemRandom()
    if low is None or high is None:
        low, high = candidate_range()
    now = time.time()
    chosen = {}
    with _held(registry or REGISTRY, now) as held:
        for name in names:
            for _attempt in range(attempts):
                port = rng.randint(low, high)
                if port not in held and is_free(port):
                    break
            else:
                raise RuntimeError('no free port in %d-%d on %s' % (
                    low, high, HOST))
            chosen[name] = port
            held[port] = now + HOLD
    return chosen
