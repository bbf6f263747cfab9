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


"""Responses of /v2/queues, /v2/queues/{name}, its stats and purge."""

from zaqar_trove_tests.api_schema.v2 import parameter_types as types

_queue = types.closed_object({
    'name': types.queue_name,
    'href': types.queue_href,
    'metadata': types.queue_metadata,
}, required=['href', 'name'])

list_queues = {
    'status_code': [200],
    'response_body': types.closed_object({
        'queues': types.array_of(_queue),
        'links': types.links,
        # Zaqar 23 with the sqlalchemy management store answers ``true``
        # here instead of the number (its _calculate_resource_count
        # returns ``res is not None``); other stores give the number.
        'count': {'type': ['integer', 'boolean']},
    }, required=['links', 'queues']),
}

# 201 created, 204 existed; no body either way.
create_queue = {
    'status_code': [201, 204],
    'response_header': types.location(types.QUEUE_PATH_RE),
}

# 200 also for a queue that does not exist (defaults only).
show_queue = {
    'status_code': [200],
    'response_body': types.queue_metadata,
}

update_queue = show_queue

delete_queue = {'status_code': [204]}

purge_queue = {'status_code': [204]}

show_queue_stats = {
    'status_code': [200],
    'response_body': types.queue_stats('href', types.message_href),
}
