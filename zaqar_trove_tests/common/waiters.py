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

"""The one waiter: poll a predicate until it holds or a deadline passes."""

import inspect
import time

from tempest.lib import exceptions


def wait_until(predicate, timeout, interval=0.1, what=None):
    """Call predicate() until it returns a truthy value; return it.

    :param predicate: callable without arguments.
    :param timeout: seconds before giving up.
    :param interval: seconds between calls.
    :param what: what is awaited, for the failure message.
    :raises tempest.lib.exceptions.TimeoutException: naming the caller,
        what and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0, deadline - time.monotonic())))
    caller = inspect.stack()[1].function
    raise exceptions.TimeoutException(
        '%s: %s did not happen within %.1f s (last value: %r)' % (
            caller, what or getattr(predicate, '__name__', 'predicate'),
            timeout, value))
