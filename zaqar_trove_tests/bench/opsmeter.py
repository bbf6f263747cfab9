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


"""Zaqar operations over a window, counted by the Zaqar processes.

Each Zaqar API worker and websocket server of the local stack counts
what it serves (``stack.opcounter``). A snapshot writes a new stamp to
the counters' request file, waits (deadline, no fixed sleep) until
every live counting process of the stack has answered it, and sums the
answers by group (``stack.opkinds.by_group``: ``http``,
``websocket``). A process that exited keeps its last answer in the sum.
"""

import glob
import json
import logging
import os
import time

from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import opcounter
from zaqar_trove_tests.stack import opkinds

#: Services whose processes count.
SERVICES = tuple(opkinds.GROUPS)

LOG = logging.getLogger(__name__)
#: Seconds between two reads of the answers while waiting.
INTERVAL = 0.02


def services(settings):
    """Counting services of ``settings``: the API, each websocket server."""
    return ['zaqar'] + configs.ws_services(settings)


class NotAnswered(Exception):
    """A live counting process did not answer a snapshot in time."""


def read_answers(directory):
    """``[answer]`` of every counting process that wrote one."""
    out = []
    for path in glob.glob(os.path.join(directory, '*-*.json')):
        try:
            with open(path) as f:
                answer = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(answer, dict) and isinstance(answer.get('counts'),
                                                   dict):
            out.append(answer)
    return out


def pending(answers, live_pids, stamp):
    """Live counting processes (pids) yet to answer ``stamp``."""
    return sorted(a['pid'] for a in answers
                  if a.get('pid') in live_pids and a.get('stamp', 0) < stamp)


class Ops:
    """Snapshots of a stack's Zaqar operation counts."""

    def __init__(self, directory, live_pids, timeout=10.0):
        """:param live_pids: callable, the stack's Zaqar process pids."""
        self.directory = directory
        self._live_pids = live_pids
        self.timeout = timeout

    @classmethod
    def of(cls, target):
        """The counts of ``target``'s stack, or None.

        None when the stack has no counters (brought up before they
        existed).
        """
        paths = getattr(getattr(target, 'stack', None), 'paths', None)
        directory = getattr(paths, 'zaqar_ops', None)
        if not directory or not read_answers(directory):
            return None
        names = services(getattr(target, 'settings', None) or {})
        return cls(directory, lambda: set().union(
            *(target.pids(name) for name in names)))

    def snapshot(self):
        """``{group: {kind: count}}``, all counting processes summed."""
        request = os.path.join(self.directory, opcounter.REQUEST)
        # Stamps only grow, whatever the wall clock does.
        stamp = max(time.time_ns(), opcounter.read_stamp(request) + 1)
        tmp = request + '.tmp'
        with open(tmp, 'w') as f:
            f.write(str(stamp))
        os.replace(tmp, request)
        live = set(self._live_pids())
        deadline = time.monotonic() + self.timeout
        while True:
            answers = read_answers(self.directory)
            late = pending(answers, live, stamp)
            if not late:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise NotAnswered('Zaqar processes %s did not answer ops '
                                  'snapshot %d within %.1f s' % (
                                      late, stamp, self.timeout))
            time.sleep(min(INTERVAL, left))
        return opkinds.by_group(answers)


class Meter:
    """Operations over a window: ``start()``, then ``stop()``."""

    def __init__(self, ops):
        self._ops = ops
        self._before = None

    def start(self):
        if self._ops is not None:
            try:
                self._before = self._ops.snapshot()
            except NotAnswered:
                LOG.exception('Zaqar operations not counted: no start')
        return self

    def stop(self):
        """``{group: {kind: count}}`` since ``start``, or None.

        None: not counted (no counters, or a process did not answer in
        time: logged).
        """
        if self._ops is None or self._before is None:
            return None
        try:
            return opkinds.group_diff(self._ops.snapshot(), self._before)
        except NotAnswered:
            LOG.exception('Zaqar operations not counted for this window')
            return None
