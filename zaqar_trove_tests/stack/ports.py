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
"""

import random
import socket

HOST = '127.0.0.1'
LOWEST = 20000
_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range'


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


def choose(names, rng=None, low=None, high=None, attempts=2000):
    """Map each name to a distinct free port.

    :param names: iterable of names (ordered).
    :param rng: a ``random.Random``; default is seeded by the system.
    :raises RuntimeError: if too few free ports were found.
    """
    rng = rng or random.SystemRandom()
    if low is None or high is None:
        low, high = candidate_range()
    chosen = {}
    taken = set()
    for name in names:
        for _attempt in range(attempts):
            port = rng.randint(low, high)
            if port not in taken and is_free(port):
                break
        else:
            raise RuntimeError('no free port in %d-%d on %s' % (
                low, high, HOST))
        chosen[name] = port
        taken.add(port)
    return chosen
