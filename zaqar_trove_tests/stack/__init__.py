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

``control.Stack`` / ``control.Service`` drive a stack from Python (and from
tests) without importing Keystone or Zaqar; ``cli`` is the console command.
Only the ``*_wsgi``, ``*_setup`` and ``zaqar_ws`` modules import the
services, and they run in the services' own processes.
"""
