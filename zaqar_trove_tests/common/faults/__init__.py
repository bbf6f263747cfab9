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

"""What the fault (FLT) and security (ISO-5) tests inject, and count.

``ledgers`` (streams of casts and calls and the ledgers that count what
was lost or run twice; a log recorder), ``proxy`` (a loopback fault
proxy process and its fixture), ``inputs`` (bad input for the fault
tests, layer by layer), ``hostile`` (what a hostile guest writes, for the
security tests), ``identity`` (revoked tokens, token URLs).

May import ``common`` (``waiters``), ``common.rpc``,
``zaqar_trove_tests.rpc`` (the envelope) and tempest.lib; never the tests.
"""
