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


"""Response of POST /v2/queues/{name}/share (a pre-signed URL)."""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

create_signed_url = {
    'status_code': [200],
    'response_body': types.closed_object({
        'paths': types.array_of(
            types.path('%s/(messages|claims|subscriptions)' %
                       types.QUEUE_PATH_RE), min_items=1),
        'methods': types.array_of({'type': 'string', 'minLength': 1},
                                  min_items=1),
        'project': {'type': 'string', 'minLength': 1},
        'expires': types.path(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d'),
        'signature': types.path('[0-9a-f]{64}'),
    }),
}
