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


"""Responses of /v2/queues/{name}/subscriptions[/{id}[/confirm]]."""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

_COLLECTION_RE = '%s/subscriptions' % types.QUEUE_PATH_RE

create_subscription = {
    'status_code': [201],
    'response_body': types.closed_object({'subscription_id': types.uuid}),
    'response_header': types.location(_COLLECTION_RE),
}

list_subscriptions = {
    'status_code': [200],
    'response_body': types.closed_object({
        'subscriptions': types.array_of(types.subscription),
        'links': types.links,
    }),
}

show_subscription = {
    'status_code': [200],
    'response_body': types.subscription,
}

update_subscription = {
    'status_code': [204],
    'response_header': types.location(
        '%s/%s' % (_COLLECTION_RE, types.UUID_RE)),
}

delete_subscription = {'status_code': [204]}

confirm_subscription = {
    'status_code': [204],
    'response_header': types.location(
        '%s/%s/confirm' % (_COLLECTION_RE, types.UUID_RE)),
}
