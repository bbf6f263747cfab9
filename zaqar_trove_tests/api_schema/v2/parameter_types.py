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


"""Types shared by the Zaqar v2 response schemas."""

UUID_RE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
#: Zaqar's queue name alphabet (``zaqar.transport.validation``).
NAME_RE = '[a-zA-Z0-9_.-]{1,64}'
QUEUE_PATH_RE = '/v2/queues/%s' % NAME_RE

uuid = {'type': 'string', 'pattern': '^%s$' % UUID_RE}
queue_name = {'type': 'string', 'pattern': '^%s$' % NAME_RE}
non_negative_int = {'type': 'integer', 'minimum': 0}
positive_int = {'type': 'integer', 'minimum': 1}
#: Any JSON value: a message body is whatever the producer posted.
anything = {}


def path(pattern):
    """A string that is exactly ``pattern`` (a regular expression)."""
    return {'type': 'string', 'pattern': '^%s$' % pattern}


def closed_object(properties, required=None):
    """An object with exactly these keys (all required unless told)."""
    schema = {
        'type': 'object',
        'properties': properties,
        'additionalProperties': False,
    }
    required = sorted(properties) if required is None else required
    if required:
        # Draft 4 wants a non-empty ``required``.
        schema['required'] = required
    return schema


def array_of(items, min_items=0):
    return {'type': 'array', 'items': items, 'minItems': min_items}


queue_href = path(QUEUE_PATH_RE)
message_href = path(r'%s/messages/%s(\?claim_id=%s)?' % (
    QUEUE_PATH_RE, UUID_RE, UUID_RE))
claim_href = path('%s/claims/%s' % (QUEUE_PATH_RE, UUID_RE))

#: ``[{'rel': 'next', 'href': ...}]`` on a non-empty page, else ``[]``.
links = array_of(closed_object({
    'rel': {'type': 'string', 'enum': ['next']},
    'href': path(r'/v2/queues(/%s/(messages|subscriptions))?\?\S*' %
                 NAME_RE),
}))
links['maxItems'] = 1

#: UTC, seconds, with or without the trailing Z.
timestamp = path(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?')

#: A message as listed, shown or claimed.
message = closed_object({
    'id': uuid,
    'href': message_href,
    'ttl': positive_int,
    'age': non_negative_int,
    'body': anything,
    'checksum': {'type': 'string'},
}, required=['age', 'body', 'href', 'id', 'ttl'])

#: A message as ``pop`` returns it (storage form, no href).
popped_message = closed_object({
    'id': uuid,
    'ttl': positive_int,
    'age': non_negative_int,
    'body': anything,
    'claim_id': {'type': ['string', 'null']},
    'claim_count': non_negative_int,
    'checksum': {'type': 'string'},
}, required=['age', 'body', 'claim_count', 'claim_id', 'id', 'ttl'])

_nullable_int = {'type': ['integer', 'null']}

#: Queue metadata: the user's keys plus every reserved one, filled in
#: with the deployment's defaults.
queue_metadata = {
    'type': 'object',
    'properties': {
        '_max_messages_post_size': positive_int,
        '_default_message_ttl': positive_int,
        '_default_message_delay': non_negative_int,
        '_dead_letter_queue': {'type': ['string', 'null']},
        '_dead_letter_queue_messages_ttl': _nullable_int,
        '_max_claim_count': _nullable_int,
        '_enable_encrypt_messages': {'type': 'boolean'},
    },
    'required': ['_dead_letter_queue', '_dead_letter_queue_messages_ttl',
                 '_default_message_delay', '_default_message_ttl',
                 '_enable_encrypt_messages', '_max_claim_count',
                 '_max_messages_post_size'],
    'additionalProperties': True,
}

subscription = closed_object({
    'id': uuid,
    'source': queue_name,
    'subscriber': {'type': 'string', 'minLength': 1},
    'ttl': positive_int,
    'age': non_negative_int,
    'options': {'type': 'object'},
    'confirmed': {'type': 'boolean'},
})


def location(pattern):
    """A response header schema requiring ``Location: <pattern>``."""
    return {
        'type': 'object',
        'properties': {'location': path(pattern)},
        'required': ['location'],
    }


def queue_stats(locator, locator_type):
    """A queue's stats body; its newest/oldest messages named by ``locator``.

    An empty or unknown queue has only the counts; otherwise the newest
    and oldest messages come too (REST names them by ``href``, the
    websocket API by ``id``).
    """
    message = closed_object({
        locator: locator_type,
        'ttl': positive_int,
        'age': non_negative_int,
        'body': anything,
        'claim_id': {'oneOf': [uuid, {'type': 'null'}]},
        'claim_count': non_negative_int,
        'created': timestamp,
        'checksum': {'type': 'string'},
    }, required=['age', 'body', 'claim_count', 'claim_id', 'created',
                 locator, 'ttl'])
    counts = {'claimed': non_negative_int, 'free': non_negative_int,
              'total': non_negative_int}
    return closed_object({'messages': {'oneOf': [
        closed_object(counts),
        closed_object(dict(counts, newest=message, oldest=message)),
    ]}})
