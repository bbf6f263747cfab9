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

"""One readiness probe per protocol: does the service answer yet?

A probe returns True (ready) or False (not yet); it raises
``ProbeRefused`` when the answer proves a configuration error, so the
caller fails at once instead of waiting for a deadline.
"""

from http import client as http_client
import socket

HOST = '127.0.0.1'
TIMEOUT = 2


class ProbeRefused(Exception):
    """The service answered, and the answer will not change."""


def tcp(port, **_kw):
    try:
        socket.create_connection((HOST, port), TIMEOUT).close()
    except OSError:
        return False
    return True


def redis(port, **_kw):
    try:
        with socket.create_connection((HOST, port), TIMEOUT) as sock:
            sock.sendall(b'PING\r\n')
            return sock.recv(64).startswith(b'+PONG')
    except OSError:
        return False


def http(port, path='/', status=(200,), **_kw):
    conn = http_client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        conn.request('GET', path)
        return conn.getresponse().status in status
    except (OSError, http_client.HTTPException):
        return False
    finally:
        conn.close()


def amqp(port, user, password, **_kw):
    import amqp as amqp_lib

    conn = amqp_lib.Connection(host='%s:%d' % (HOST, port), userid=user,
                               password=password, connect_timeout=TIMEOUT)
    try:
        conn.connect()
    except amqp_lib.exceptions.AccessRefused as exc:
        conn.collect()
        raise ProbeRefused('refused the credentials of %s: %s' % (user, exc))
    except (OSError, amqp_lib.exceptions.AMQPError):
        conn.collect()
        return False
    conn.close()
    return True


PROBES = {'tcp': tcp, 'redis': redis, 'http': http, 'amqp': amqp}


def check(probe, ports):
    """Run a spec's probe against its ports.

    ``probe['port']`` names the port label to talk to (default: the
    first); ``tcp`` probes every port.
    """
    kind = probe['type']
    args = {k: v for k, v in probe.items() if k not in ('type', 'port')}
    if kind == 'tcp':
        return all(tcp(port) for port in ports.values())
    label = probe.get('port') or next(iter(ports))
    return PROBES[kind](ports[label], **args)
