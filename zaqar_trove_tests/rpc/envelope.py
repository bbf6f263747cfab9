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

"""The JSON body of every Zaqar message the driver posts.

::

    {"v": "1.0",             envelope version, major.minor
     "k": "call",            call | cast | reply | hb | notify
     "id": "<hex>",          unique per envelope (duplicate detection)
     "ctx": {...},           request context          (call/cast/notify)
     "msg": {...},           oslo message             (call/cast/notify)
     "mid": "<hex>",         call id; replies carry it back
     "rq": "<queue>",        reply queue              (call)
     "rg": {...},            pre-signed POST grant of rq (optional)
     "dl": 1700000000.5,     deadline, epoch seconds  (call)
     "to": 30.0,             the caller's timeout, s  (call)
     "cm": 10,               call_monitor_timeout, s  (call, optional)
     "res": ..., "fail": "...", "end": true           (reply)
     "nv": 2.0}              notification envelope version (notify)

A reader accepts any minor version of its major and ignores unknown keys;
anything else (not a dict, no ``v``, another major, a missing field) is
``InvalidEnvelope``: the consumer logs it and drops it. A call is expired
when the wall clock passed ``dl`` or Zaqar's own ``age`` of the message
exceeds ``to`` (the latter needs no synchronised clocks; Zaqar counts
whole seconds).
"""

import time
import uuid

VERSION = '1.0'
KINDS = ('call', 'cast', 'reply', 'hb', 'notify')
_REQUIRED = {
    'call': ('ctx', 'msg', 'mid', 'rq', 'dl'),
    'cast': ('ctx', 'msg'),
    'reply': ('mid', 'end'),
    'hb': ('mid',),
    'notify': ('ctx', 'msg'),
}


class InvalidEnvelope(ValueError):
    """A message body this driver cannot or must not process."""


def _new(kind, **fields):
    body = {'v': VERSION, 'k': kind, 'id': uuid.uuid4().hex}
    body.update((k, v) for k, v in fields.items() if v is not None)
    return body


def call(ctxt, message, msg_id, reply_queue, timeout,
         call_monitor_timeout=None, grant=None, now=None):
    """A request expecting a reply, dead after ``timeout`` seconds."""
    now = time.time() if now is None else now
    return _new('call', ctx=ctxt, msg=message, mid=msg_id, rq=reply_queue,
                rg=grant, dl=now + timeout, to=timeout,
                cm=call_monitor_timeout)


def cast(ctxt, message):
    """A request without reply (also used for fanout)."""
    return _new('cast', ctx=ctxt, msg=message)


def reply(msg_id, result=None, failure=None, ending=True):
    """The answer to call ``msg_id``; ``failure`` is a serialized error."""
    body = _new('reply', mid=msg_id, fail=failure, end=ending)
    body['res'] = result
    return body


def heartbeat(msg_id):
    """Call-monitor heartbeat: the server still works on ``msg_id``."""
    return _new('hb', mid=msg_id)


def notification(ctxt, message, version):
    """A notification (``version`` is oslo's notification envelope)."""
    return _new('notify', ctx=ctxt, msg=message, nv=version)


def decode(body, kinds=KINDS):
    """Validate a received body; return it. Raise ``InvalidEnvelope``."""
    if not isinstance(body, dict) or 'v' not in body:
        raise InvalidEnvelope('not a zaqar-rpc envelope')
    version = body['v']
    if (not isinstance(version, str) or
            version.split('.')[0] != VERSION.split('.')[0]):
        raise InvalidEnvelope('unsupported envelope version %r' % (version,))
    kind = body.get('k')
    if kind not in kinds:
        raise InvalidEnvelope('unexpected envelope kind %r' % (kind,))
    if not isinstance(body.get('id'), str):
        raise InvalidEnvelope('envelope without id')
    missing = [f for f in _REQUIRED[kind] if f not in body]
    if missing:
        raise InvalidEnvelope('%s envelope without %s' % (
            kind, ', '.join(missing)))
    if kind in ('call', 'cast', 'notify'):
        if not isinstance(body['ctx'], dict):
            raise InvalidEnvelope('context is not an object')
        if not isinstance(body['msg'], dict):
            raise InvalidEnvelope('message is not an object')
    if kind == 'call':
        if not isinstance(body['rq'], str) or not body['rq']:
            raise InvalidEnvelope('call without reply queue')
        if not isinstance(body['dl'], (int, float)):
            raise InvalidEnvelope('call without numeric deadline')
    return body


def expired(body, age=0, now=None):
    """True when the caller of this call has given up (or will now)."""
    if body.get('k') != 'call':
        return False
    now = time.time() if now is None else now
    if now >= body['dl']:
        return True
    timeout = body.get('to')
    return isinstance(timeout, (int, float)) and age > timeout


def remaining(body, now=None):
    """Seconds left before the deadline of a call (None for others)."""
    if body.get('k') != 'call':
        return None
    now = time.time() if now is None else now
    return body['dl'] - now
