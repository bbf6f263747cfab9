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

"""The ``zaqar://`` oslo.messaging transport (entry point ``zaqar``).

Self-contained: imports neither tempest nor the rest of this package.
``driver`` (the driver and its design), ``options`` (configuration),
``settings`` (URL parsing), ``names`` (queue names), ``envelope`` (message
bodies), ``httpclient`` and ``push`` (Zaqar's HTTP and websocket APIs),
``auth``, ``listener``, ``fairness``, ``incoming`` and ``dedupe`` (servers;
fair dispatch among a topic's servers; requests posted twice), ``reply``
(callers), ``backoff`` (retry pauses), ``errors``.
"""
