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


"""Fixtures and helpers of the RPC contracts (tests/rpc).

Transports come from ``oslo_messaging.get_rpc_transport`` /
``get_notification_transport`` on the global ``cfg.CONF`` (oslo.messaging
18.3 registers some of its options there only). Servers and listeners run
oslo's ``threading`` executor in this process and stop at cleanup; a
server that must die abruptly runs in a process of its own
(``common.rpc.process``).

Usage in a test::

    transport = self.useFixture(harness.Transport(url)).transport
    server = self.useFixture(harness.Server(transport, target, [endpoint]))
    client = om.get_rpc_client(transport, target, timeout=20)
"""

import concurrent.futures
import time

import fixtures
from oslo_config import cfg
import oslo_messaging as om
from tempest.lib import exceptions

from zaqar_trove_tests.common.rpc import errors
from zaqar_trove_tests.common import waiters

#: The module whose exceptions callers re-raise by type (RPC-3).
ALLOWED_EXMODS = [errors.__name__]


class Transport(fixtures.Fixture):
    """An oslo.messaging transport for ``url``, cleaned up at the end.

    :param notifications: a notification transport instead of an RPC one.
    :param allowed_remote_exmods: modules whose remote exceptions are
        re-raised by type (default ``ALLOWED_EXMODS``).
    """

    def __init__(self, url, notifications=False, allowed_remote_exmods=None):
        super().__init__()
        self.url = url
        self.notifications = notifications
        self.allowed_remote_exmods = (ALLOWED_EXMODS
                                      if allowed_remote_exmods is None
                                      else allowed_remote_exmods)

    def _setUp(self):
        get = (om.get_notification_transport if self.notifications
               else om.get_rpc_transport)
        self.transport = get(cfg.CONF, url=self.url,
                             allowed_remote_exmods=self.allowed_remote_exmods)
        self._open = True
        self.addCleanup(self.close)

    def close(self):
        """``cleanup()`` the transport now (idempotent)."""
        if self._open:
            self._open = False
            self.transport.cleanup()


class _Running(fixtures.Fixture):
    """Something oslo runs with ``start``/``stop``/``wait``."""

    def _setUp(self):
        self.runner = self._make()
        self.runner.start()
        self._running = True
        self.addCleanup(self.stop)

    def stop(self):
        """Stop and wait (idempotent); what is in flight completes."""
        if self._running:
            self._running = False
            self.runner.stop()
            self.runner.wait()


class Server(_Running):
    """An RPC server of ``target`` dispatching to ``endpoints``."""

    def __init__(self, transport, target, endpoints):
        super().__init__()
        self.transport = transport
        self.target = target
        self.endpoints = endpoints

    def _make(self):
        return om.get_rpc_server(self.transport, self.target, self.endpoints,
                                 executor='threading')


class Listener(_Running):
    """A notification listener of ``targets``, in ``pool`` if given.

    With ``batch_size`` it is a batch listener (``batch_timeout`` s).
    """

    def __init__(self, transport, targets, endpoints, pool=None,
                 batch_size=None, batch_timeout=None):
        super().__init__()
        self.transport = transport
        self.targets = targets
        self.endpoints = endpoints
        self.pool = pool
        self.batch_size = batch_size
        self.batch_timeout = batch_timeout

    def _make(self):
        if self.batch_size:
            return om.get_batch_notification_listener(
                self.transport, self.targets, self.endpoints,
                executor='threading', pool=self.pool,
                batch_size=self.batch_size, batch_timeout=self.batch_timeout)
        return om.get_notification_listener(
            self.transport, self.targets, self.endpoints,
            executor='threading', pool=self.pool)


def timed(func, *args, **kwargs):
    """``(result, seconds)`` of ``func(*args, **kwargs)``."""
    started = time.monotonic()
    result = func(*args, **kwargs)
    return result, time.monotonic() - started


def timed_failure(exc_class, func, *args, **kwargs):
    """``(exception, seconds)`` until ``func`` raised ``exc_class``.

    :raises AssertionError: when ``func`` returns instead.
    """
    started = time.monotonic()
    try:
        result = func(*args, **kwargs)
    except exc_class as exc:
        return exc, time.monotonic() - started
    raise AssertionError('%s not raised; returned %r' % (
        exc_class.__name__, result))


def run_concurrently(func, arguments, threads):
    """``[func(*args) for args in arguments]`` on ``threads`` threads.

    Results come back in the order of ``arguments``; the first exception
    is raised once all calls ended.
    """
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(func, *args) for args in arguments]
    return [future.result() for future in futures]


def never(predicate, within, what):
    """Give ``predicate`` ``within`` seconds to become true; fail if it does.

    For things that must not happen (a stale request executed, a duplicate
    delivery): the waiter leaves them the time to happen wrongly.

    :raises AssertionError: naming ``what`` and the value seen.
    """
    try:
        value = waiters.wait_until(predicate, within, interval=0.2,
                                   what=what)
    except exceptions.TimeoutException:
        return
    raise AssertionError('Must not happen, but did: %s (saw %r)'
                         % (what, value))
