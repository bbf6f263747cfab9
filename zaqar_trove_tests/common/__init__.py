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

"""Helpers the tests share; the tests' base classes stay small.

``clients`` (one identity's Zaqar clients), ``resources`` (queues,
messages and claims, cleaned up as they are created), ``waiters`` (the
one generic waiter), ``delivery`` (producers, consumers and the ledger
of the delivery contracts), ``identity`` (Keystone tokens: fresh,
revoked, expiring), ``defects`` (known defects, as expected failures);
the packages ``rpc`` (what the RPC contracts run on) and ``faults`` (what
the fault and security tests inject and count).

May import ``services``, ``zaqar_trove_tests.rpc`` and tempest; never
``stack``, ``guest``, ``bench``, the tests or the unit tests. Inside:
``faults`` may import ``rpc``, ``rpc`` not ``faults``, and the plain
modules neither. Outside, ``common.rpc`` and ``common.faults`` modules
whose short name says too little alone are imported with their
package's prefix (``from zaqar_trove_tests.common.rpc import urls as
rpc_urls``); ``harness``, ``ledgers`` and ``hostile`` by name.
"""
