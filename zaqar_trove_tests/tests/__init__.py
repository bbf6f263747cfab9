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

"""What tempest discovers: the contracts, on the stack the config names.

``api`` (Zaqar's delivery and isolation guarantees), ``rpc`` (the RPC
contracts, on ``zaqar://`` and on RabbitMQ as the control), ``scenario``
(Trove's own control plane and guests), ``faults`` (FLT: services killed
and broken under load), ``security`` (ISO-5: hostile guests). May
import every floor below (``common``, ``services``, ``stack``, ``guest``,
``rpc``, ``config``) and tempest; never ``unit`` or ``bench``.
"""
