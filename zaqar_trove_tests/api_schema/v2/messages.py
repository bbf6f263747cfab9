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


"""Responses of /v2/queues/{name}/messages[/{id}]."""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

_MESSAGES_RE = '%s/messages' % types.QUEUE_PATH_RE

post_messages = {
    'status_code': [201],
    'response_body': types.closed_object({
        'resources': types.array_of(
            types.path('%s/%s' % (_MESSAGES_RE, types.UUID_RE)),
            min_items=1),
    }),
    'response_header': types.location(
        r'%s\?ids=%s(,%s)*' % (_MESSAGES_RE, types.UUID_RE, types.UUID_RE)),
}

# An empty page (also of an unknown queue) is 200 with two empty lists.
list_messages = {
    'status_code': [200],
    'response_body': types.closed_object({
        'messages': types.array_of(types.message),
        'links': types.links,
    }),
}

show_messages = {
    'status_code': [200],
    'response_body': types.closed_object({
        'messages': types.array_of(types.message, min_items=1),
    }),
}

show_message = {
    'status_code': [200],
    'response_body': types.message,
}

delete_message = {'status_code': [204]}

delete_messages = {'status_code': [204]}

pop_messages = {
    'status_code': [200],
    'response_body': types.closed_object({
        'messages': types.array_of(types.popped_message),
    }),
}
