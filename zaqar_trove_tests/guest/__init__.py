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

"""A Trove guest-agent stand-in, and Trove's control plane to drive it.

``service.GuestStandIn`` serves Trove 26's guest RPC surface
(``manager.GuestManager`` over ``state.DatabaseServer``) for one instance;
``cli`` (``python -m zaqar_trove_tests.guest``) serves several until
SIGTERM; ``controlplane`` runs Trove's own control-plane code (its
database, ``trove.guestagent.api.API``, the conductor) in the test
process; ``troveenv`` imports Trove beside tempest. Imports neither
tempest nor the tests.
"""
