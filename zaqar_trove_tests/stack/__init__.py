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

"""The embedded local stack: Redis, RabbitMQ, Keystone and Zaqar on loopback.

Floors, each importing only those below it:

- ``cli`` (the console command), ``tempest_run`` (``run``);
- ``bringup.up(stack)``: configures, starts and checks a new stack,
  composing ``configs``, ``services`` (start commands), ``identity``,
  ``cache`` (warm start), ``binaries``, ``ports`` and ``control``;
- ``control.Stack`` / ``control.Service``: drive a recorded stack from
  Python (and from tests): state, lock, start, kill, wait, down;
- ``procs`` (processes and sockets from ``/proc``), ``state`` (the state
  file and its lock), ``paths``, ``probes``, ``errors``.

May import ``common`` (``waiters``) and tempest.lib, never the tests.
Only the ``*_wsgi``, ``*_setup`` and ``zaqar_ws`` modules import Keystone
or Zaqar, and they run in the services' own processes.
"""
