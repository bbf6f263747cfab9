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


"""Responses of /v2/ping and /v2/health."""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

ping = {'status_code': [204]}

_operation = types.closed_object({
    'succeeded': {'type': 'boolean'},
    'seconds': {'type': 'number', 'minimum': 0},
    'ref': {'type': ['string', 'null']},
})

# The probe operations depend on the message store, so their names stay
# open; each one's shape does not.
show_health = {
    'status_code': [200],
    'response_body': types.closed_object({
        'storage_reachable': {'type': 'boolean'},
        'operation_status': {
            'type': 'object',
            'additionalProperties': _operation,
        },
    }),
}
