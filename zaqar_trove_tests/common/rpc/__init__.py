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

"""What the RPC contracts (tests/rpc, faults, security) run on.

``harness`` (transport, server and listener fixtures; timing helpers),
``endpoints`` (endpoints that record what they executed), ``errors`` (the
exception callers may re-raise by type), ``process`` (a server in a child
process, to kill), ``urls`` (transport URLs for other identities and
delivery modes), ``guests`` (signed guests and the driver's queues, for
ISO-4 and ISO-5).

May import ``common`` (``waiters``), ``zaqar_trove_tests.rpc``,
``services`` and tempest.lib; never ``common.faults`` or the tests.
"""
