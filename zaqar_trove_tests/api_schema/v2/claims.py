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


"""Responses of /v2/queues/{name}/claims[/{id}]."""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

# Something claimed: 201, the messages, Location of the claim.
claim_messages = {
    'status_code': [201],
    'response_body': types.closed_object({
        'messages': types.array_of(types.message, min_items=1),
    }),
    'response_header': types.location(
        '%s/claims/%s' % (types.QUEUE_PATH_RE, types.UUID_RE)),
}

# Nothing to claim: 204 and no body.
claim_messages_none = {'status_code': [204]}

show_claim = {
    'status_code': [200],
    'response_body': types.closed_object({
        'age': types.non_negative_int,
        'ttl': types.positive_int,
        'messages': types.array_of(types.message),
        'href': types.claim_href,
    }),
}

update_claim = {'status_code': [204]}

release_claim = {'status_code': [204]}
