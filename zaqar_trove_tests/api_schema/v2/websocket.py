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


"""Response bodies of Zaqar's websocket API (``zaqar.api.v2.endpoints``).

They differ from the REST ones: no hrefs or links, a ``claim_id`` in
every message, plain strings as the body of most deletes and updates,
and pushed subscription messages without a message id.
"""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

_text = {'type': 'string', 'minLength': 1}
_empty = types.closed_object({})

#: A message as message_list/get/claim_create return it.
message = types.closed_object({
    'id': types.uuid,
    'ttl': types.positive_int,
    'age': types.non_negative_int,
    'body': types.anything,
    'claim_id': {'oneOf': [types.uuid, {'type': 'null'}]},
    'checksum': {'type': 'string'},
}, required=['age', 'body', 'claim_id', 'id', 'ttl'])

authenticate = {
    'status_code': [200],
    'response_body': types.closed_object(
        {'message': {'type': 'string', 'enum': ['Authentified.']}}),
}

queue_list = {
    'status_code': [200],
    'response_body': types.closed_object({
        'queues': types.array_of(types.closed_object({
            'name': types.queue_name,
            'metadata': {'type': 'object'},
        }, required=['name'])),
    }),
}

# "Queue <name> created." for 201 (created) and 204 (existed) alike.
queue_create = {'status_code': [201, 204], 'response_body': _text}

# The stored metadata only (no reserved defaults); {} for an unknown queue.
queue_get = {'status_code': [200], 'response_body': {'type': 'object'}}

queue_delete = {'status_code': [204], 'response_body': _text}

# An unknown queue is a 404 here (the REST API says 200).
queue_get_stats = {
    'status_code': [200],
    'response_body': types.queue_stats('id', types.uuid),
}

queue_purge = {'status_code': [204], 'response_body': _empty}

message_post = {
    'status_code': [201],
    'response_body': types.closed_object({
        'message_ids': types.array_of(types.uuid, min_items=1),
    }),
}

message_list = {
    'status_code': [200],
    'response_body': types.closed_object(
        {'messages': types.array_of(message)}),
}

# One message, under the plural key.
message_get = {
    'status_code': [200],
    'response_body': types.closed_object({'messages': message}),
}

message_get_many = message_list

message_delete = {'status_code': [204], 'response_body': _empty}

message_delete_many = message_delete

message_pop = {
    'status_code': [200],
    'response_body': types.closed_object(
        {'messages': types.array_of(types.popped_message)}),
}

# 201 with the messages; 204 (nothing claimed) with a claim_id only.
claim_create = {
    'status_code': [201, 204],
    'response_body': types.closed_object({
        'claim_id': types.uuid,
        'messages': types.array_of(message, min_items=1),
    }, required=['claim_id']),
}

claim_get = {
    'status_code': [200],
    'response_body': types.closed_object({
        'age': types.non_negative_int,
        'ttl': types.positive_int,
        'messages': types.array_of(message),
    }),
}

# "Claim <id> updated." / "Claim <id> deleted."
claim_update = {'status_code': [204], 'response_body': _text}

claim_delete = claim_update

subscription_create = {
    'status_code': [201],
    'response_body': types.closed_object({
        'subscription_id': types.uuid,
        'message': _text,
    }),
}

subscription_list = {
    'status_code': [200],
    'response_body': types.closed_object(
        {'subscriptions': types.array_of(types.subscription)}),
}

subscription_get = {
    'status_code': [200],
    'response_body': types.subscription,
}

subscription_delete = {'status_code': [204], 'response_body': _text}

#: A message pushed to a websocket subscriber (no message id!).
notification = types.closed_object({
    'Message_Type': {'type': 'string', 'enum': ['Notification']},
    'queue_name': types.queue_name,
    'body': types.anything,
    'ttl': types.positive_int,
    'delay': types.non_negative_int,
}, required=['Message_Type', 'body', 'queue_name', 'ttl'])
