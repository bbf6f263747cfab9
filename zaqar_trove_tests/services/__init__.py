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

"""Zaqar service clients for tempest: REST, websocket, auth providers.

``messaging`` (one ``RestClient`` per resource, one method per call),
``websocket`` (the websocket API), ``auth`` (signed-URL, no-auth and
header auth providers). May import ``api_schema`` and tempest.lib only:
never ``common`` or the tests, and clients never read ``CONF``.
"""
