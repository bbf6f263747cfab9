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

"""The JSON body of every Zaqar message the driver posts, and its schemas.

::

    {"v": "1.1",             envelope version, major.minor
     "k": "call",            call | cast | reply | hb | notify
     "id": "<32 hex>",       unique per envelope (duplicate detection)
     "ctx": {...},           request context          (call/cast/notify)
     "msg": {...},           oslo message             (call/cast/notify)
     "mid": "<32 hex>",      call id; replies carry it back
     "rk": "<32 hex>",       reply key: a secret of this call, only its
                             target sees it; replies must carry it back
     "rq": "<queue>",        reply queue, a name ``names`` makes  (call)
     "rg": {...},            pre-signed POST grant of rq          (call)
     "to": 30.0,             the caller's timeout, s              (call)
     "cm": 10,               call_monitor_timeout, s  (call, optional)
     "res": ..., "fail": "...", "end": true           (reply)
     "re": true,             posted again after Zaqar may have stored
                             it already: maybe a duplicate (call/cast)
     "sq": ["<32 hex>", 7],  the sender's stream and this envelope's
                             number in it on this queue: 1, 2, 3... per
                             (sender, queue) (call/cast/notify, optional;
                             servers of a topic learn from gaps that
                             others take from it: ``fairness``)
     "x": "<32 hex>",        the envelope id asked about (dq) or run (dn)
     "s": "<32 hex>",        a polling server of the topic (hi)
     "w": false,             a reminder only: do not read often (hi)
     "nv": 2.0}              notification envelope version (notify)

``dq``/``dn`` travel on a topic's fanout queue, between its servers:
"did one of you run ``x``?" and "I ran ``x``"; so does ``hi``, "server
``s`` polls this topic too" (fair dispatch; see ``fairness``).

Everything read from a queue is hostile input (a guest may write to the
queues it serves, to its callers' reply queues and to the topics it
casts to): ``decode`` checks a body against the strict schema of its
kind, in this one place, before any other code touches it. A reader
accepts any minor version of its major and ignores unknown keys; anything
else is ``InvalidEnvelope`` (its text names the field and the rule, never
the value), which consumers log and drop.

Deadlines are judged by the receiver alone: a call is expired once Zaqar's
``age`` of the message (Zaqar's clock at post and at read, whole seconds)
reaches its timeout ``to``; no wall clock of the sender is trusted.
"""

import math
import uuid

import jsonschema
from jsonschema import validators

from zaqar_trove_tests.rpc import auth as zauth
from zaqar_trove_tests.rpc import names

VERSION = '1.2'
KINDS = ('call', 'cast', 'reply', 'hb', 'notify', 'dq', 'dn', 'hi')
#: The longest call timeout (s) a call may carry: a week.
MAX_TIMEOUT = 7 * 86400

_HEX32 = {'type': 'string', 'minLength': 32, 'maxLength': 32,
          'pattern': '^[0-9a-f]*$'}
_SECONDS = {'type': 'number', 'finite': True, 'exclusiveMinimum': 0,
            'maximum': MAX_TIMEOUT}
_OBJECT = {'type': 'object'}
_SEQUENCE = {'type': 'array', 'minItems': 2, 'maxItems': 2,
             'items': [_HEX32, {'type': 'integer', 'minimum': 1,
                                'maximum': 2 ** 53}],
             'additionalItems': False}
_FIELDS = {
    'call': {'ctx': _OBJECT, 'msg': _OBJECT, 'mid': _HEX32, 'rk': _HEX32,
             're': {'type': 'boolean'}, 'sq': _SEQUENCE,
             'rq': {'type': 'string', 'maxLength': names.MAX_LENGTH,
                    'pattern': names.REPLY_PATTERN},
             'rg': zauth.GRANT_SCHEMA, 'to': _SECONDS,
             'cm': {'anyOf': [_SECONDS, {'type': 'null'}]}},
    'cast': {'ctx': _OBJECT, 'msg': _OBJECT, 're': {'type': 'boolean'},
             'sq': _SEQUENCE},
    'reply': {'mid': _HEX32, 'rk': _HEX32, 'end': {'type': 'boolean'},
              'fail': {'type': ['string', 'null']}},
    'hb': {'mid': _HEX32, 'rk': _HEX32},
    'notify': {'ctx': _OBJECT, 'msg': _OBJECT,
               'nv': {'type': ['number', 'string'], 'finite': True},
               'sq': _SEQUENCE},
    'dq': {'x': _HEX32},
    'dn': {'x': _HEX32},
    'hi': {'s': _HEX32, 'w': {'type': 'boolean'}},
}
_REQUIRED = {
    'call': ['ctx', 'msg', 'mid', 'rk', 'rq', 'rg', 'to'],
    'cast': ['ctx', 'msg'],
    'reply': ['mid', 'rk', 'end'],
    'hb': ['mid', 'rk'],
    'notify': ['ctx', 'msg'],
    'dq': ['x'],
    'dn': ['x'],
    'hi': ['s'],
}


def _finite(validator, wanted, instance, schema):
    if (wanted and isinstance(instance, float) and
            not math.isfinite(instance)):
        yield jsonschema.ValidationError('not a finite number')


_Validator = validators.extend(jsonschema.Draft7Validator,
                               {'finite': _finite})


def _schema(kind):
    fields = dict(_FIELDS[kind])
    fields.update(v={'type': 'string', 'pattern': r'^1\.[0-9]{1,4}$'},
                  k={'const': kind}, id=_HEX32)
    return {'type': 'object', 'properties': fields,
            'required': ['v', 'k', 'id'] + _REQUIRED[kind]}


#: One compiled validator per envelope kind.
SCHEMAS = {kind: _Validator(_schema(kind)) for kind in KINDS}


class InvalidEnvelope(ValueError):
    """A message body this driver cannot or must not process."""


def _new(kind, **fields):
    body = {'v': VERSION, 'k': kind, 'id': new_id()}
    body.update((k, v) for k, v in fields.items() if v is not None)
    return body


def new_id():
    """A fresh envelope id, call id or reply key (32 hex digits)."""
    return uuid.uuid4().hex


def call(ctxt, message, msg_id, reply_key, reply_queue, grant, timeout,
         call_monitor_timeout=None):
    """A request expecting a reply, dead ``timeout`` s after it is posted.

    :param reply_key: the secret a reply must carry (``new_id()``).
    :param grant: the pre-signed POST grant of ``reply_queue``.
    """
    return _new('call', ctx=ctxt, msg=message, mid=msg_id, rk=reply_key,
                rq=reply_queue, rg=grant, to=timeout,
                cm=call_monitor_timeout)


def cast(ctxt, message):
    """A request without reply (also used for fanout)."""
    return _new('cast', ctx=ctxt, msg=message)


def reply(request, result=None, failure=None):
    """The answer to the call envelope ``request``.

    :param failure: a serialized remote exception.
    """
    body = _new('reply', mid=request['mid'], rk=request['rk'],
                fail=failure, end=True)
    body['res'] = result
    return body


def heartbeat(request):
    """Call-monitor heartbeat: the server still works on ``request``."""
    return _new('hb', mid=request['mid'], rk=request['rk'])


def notification(ctxt, message, version):
    """A notification (``version`` is oslo's notification envelope)."""
    return _new('notify', ctx=ctxt, msg=message, nv=version)


def sequenced(body, sequence):
    """``body`` numbered in its sender's stream: ``[stream, n]``."""
    return dict(body, sq=list(sequence))


def retried(body):
    """``body`` posted again: a request is marked as maybe a duplicate."""
    if body.get('k') in ('call', 'cast'):
        return dict(body, re=True)
    return body


def query(envelope_id):
    """Asks the other servers of a topic whether one ran that envelope."""
    return _new('dq', x=envelope_id)


def done(envelope_id):
    """Tells the other servers of a topic: I ran that envelope."""
    return _new('dn', x=envelope_id)


def hello(server, warm=True):
    """Tells the other servers of a topic: ``server`` polls it too.

    :param warm: whether they should read the topic often for a while
        (False: a mere reminder that ``server`` is still there).
    """
    return _new('hi', s=server, w=None if warm else False)


def _describe(error, body):
    """What is wrong, naming the field and the rule, never the value."""
    if error.validator == 'required' and not error.absolute_path:
        missing = [f for f in error.validator_value if f not in body]
        return 'missing %s' % ', '.join(missing)
    field = '.'.join(str(p) for p in error.absolute_path) or 'body'
    return '%s fails %r' % (field, error.validator)


def decode(body, kinds=KINDS):
    """Validate a received body; return it. Raise ``InvalidEnvelope``."""
    if not isinstance(body, dict) or 'v' not in body:
        raise InvalidEnvelope('not a zaqar-rpc envelope')
    version = body['v']
    if not isinstance(version, str) or version.split('.')[0] != '1':
        raise InvalidEnvelope('unsupported envelope version')
    kind = body.get('k')
    if not isinstance(kind, str) or kind not in kinds:
        raise InvalidEnvelope('unexpected envelope kind')
    try:
        error = next(SCHEMAS[kind].iter_errors(body), None)
    except RecursionError:
        raise InvalidEnvelope('%s envelope nested too deeply' % kind)
    if error is not None:
        raise InvalidEnvelope('%s envelope: %s' % (kind,
                                                   _describe(error, body)))
    return body


def expired(body, age):
    """True when the caller of this call has given up.

    :param age: Zaqar's age of the message (s), as it was read.
    """
    return body['k'] == 'call' and age >= body['to']


def remaining(body, age):
    """Seconds left before the caller of this call gives up (or None)."""
    if body['k'] != 'call':
        return None
    return body['to'] - age


def peek_id(message):
    """The envelope id a message read or pushed carries, if plausible.

    Before ``decode``: the message is hostile input, nothing is checked
    but that the id is a short string.
    """
    body = message.get('body') if isinstance(message, dict) else None
    msg_id = body.get('id') if isinstance(body, dict) else None
    return msg_id if isinstance(msg_id, str) and len(msg_id) <= 64 else None


def peek_sequence(message):
    """``(stream, number)`` a message read or pushed carries, or None.

    Before ``decode``: anything but a 32-character string and a positive
    integer is no number (a forged one can only make servers yield).
    """
    body = message.get('body') if isinstance(message, dict) else None
    sq = body.get('sq') if isinstance(body, dict) else None
    if (isinstance(sq, list) and len(sq) == 2 and
            isinstance(sq[0], str) and len(sq[0]) == 32 and
            isinstance(sq[1], int) and not isinstance(sq[1], bool) and
            0 < sq[1] <= 2 ** 53):
        return sq[0], sq[1]
    return None
