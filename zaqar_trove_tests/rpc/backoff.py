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

"""Pauses between retries: exponential, jittered, bounded by a deadline.

::

    pauses = backoff.Backoff(settings.retry_interval,
                             settings.max_retry_interval, deadline=end)
    while True:
        try:
            return attempt()
        except errors.Unreachable:
            pause = pauses.next()
            if pause is None:
                raise            # out of attempts or of time
            time.sleep(pause)
"""

import random
import time


class Backoff:
    """The pauses of one retry loop.

    :param first: the first pause (s); each next one doubles, up to
        ``limit``, and is jittered by +-``jitter`` (a fraction) so that
        clients failing together do not retry in step.
    :param deadline: monotonic time; a pause that would end after it is
        refused.
    :param attempts: how many retries in all (None: no limit).
    """

    def __init__(self, first, limit, deadline=None, attempts=None,
                 jitter=0.25, clock=time.monotonic):
        self._next = first
        self._limit = limit
        self._deadline = deadline
        self._left = attempts
        self._jitter = jitter
        self._clock = clock
        self.retries = 0

    def next(self):
        """The pause before the next attempt, or None: give up now."""
        if self._left is not None and self.retries >= self._left:
            return None
        pause = self._next * random.uniform(1 - self._jitter,
                                            1 + self._jitter)
        if (self._deadline is not None and
                self._clock() + pause >= self._deadline):
            return None
        self.retries += 1
        self._next = min(self._next * 2, self._limit)
        return pause
