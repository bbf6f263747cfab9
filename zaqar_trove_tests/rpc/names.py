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

"""Zaqar queue names for oslo.messaging addresses.

Zaqar accepts ``[A-Za-z0-9_.-]{1,64}``; we emit only ``[a-z0-9_-]``.

A name is ``{prefix}-{kind}-{body}``: ``prefix`` is ``[a-z0-9]{1,16}``,
``kind`` one letter (``t`` topic, ``s`` server, ``f`` fanout, ``r``
reply, ``n`` notification), ``body`` the components (exchange, topic,
...) each encoded and joined by ``__``. The encoding is reversible (see
``decode_body``), hence injective: ``[a-z0-9-]`` stand for themselves,
``.`` is ``_p`` and every other UTF-8 byte ``_`` + two lowercase hex
digits; ``p`` is not a hex digit and a separator ``__`` never starts an
escape, so a body parses one way only.

A plain name longer than 64 becomes ``{prefix}-{kind}h-{head}-{digest}``:
``head`` is the start of the body (for people reading queue lists) and
``digest`` 26 base32 characters (130 bits) of SHA-256 of the plain name.
The ``h`` kind field never occurs in a plain name, so a hashed name never
equals a plain one; two hashed names are equal only if SHA-256 collides
in 130 bits. Names are stable across processes and versions of this
module (changing them is a wire-format change).
"""

import base64
import hashlib
import re

MAX_LENGTH = 64
SEPARATOR = '__'
DIGEST_LENGTH = 26
KINDS = {'topic': 't', 'server': 's', 'fanout': 'f', 'reply': 'r',
         'notification': 'n'}

#: What every reply queue name matches (``reply_queue`` with a random
#: token of 32 hex digits; never hashed). Servers reply to nothing else.
REPLY_PATTERN = r'^[a-z0-9]{1,16}-r-[0-9a-f]{32}\Z'

_PREFIX = re.compile(r'^[a-z0-9]{1,16}$')
_REPLY = re.compile(REPLY_PATTERN)
_PLAIN = frozenset(b'abcdefghijklmnopqrstuvwxyz0123456789-')
_HEX = '0123456789abcdef'


def encode_component(text):
    """Encode one component (any str) into ``[a-z0-9_-]*``."""
    if not isinstance(text, str):
        raise TypeError('queue name components are str, not %s'
                        % type(text).__name__)
    out = []
    for byte in text.encode('utf-8'):
        if byte in _PLAIN:
            out.append(chr(byte))
        elif byte == 0x2e:
            out.append('_p')
        else:
            out.append('_%02x' % byte)
    return ''.join(out)


def decode_body(body):
    """Invert the body encoding: the list of components (for tests)."""
    components, current, i = [], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char != '_':
            if ord(char) not in _PLAIN:
                raise ValueError('bad character %r at %d' % (char, i))
            current.append(ord(char))
            i += 1
            continue
        escape = body[i + 1:i + 2]
        if escape == '_':
            components.append(current.decode('utf-8'))
            current = bytearray()
            i += 2
        elif escape == 'p':
            current.append(0x2e)
            i += 2
        elif len(body) >= i + 3 and all(c in _HEX for c in body[i + 1:i + 3]):
            current.append(int(body[i + 1:i + 3], 16))
            i += 3
        else:
            raise ValueError('bad escape at %d in %r' % (i, body))
    components.append(current.decode('utf-8'))
    return components


def queue_name(prefix, kind, *components):
    """The queue name of ``kind`` (a key of ``KINDS``) and components."""
    if not _PREFIX.match(prefix or ''):
        raise ValueError('queue prefix must be 1-16 of [a-z0-9]: %r'
                         % (prefix,))
    letter = KINDS[kind]
    body = SEPARATOR.join(encode_component(c) for c in components)
    plain = '%s-%s-%s' % (prefix, letter, body)
    if len(plain) <= MAX_LENGTH:
        return plain
    digest = base64.b32encode(hashlib.sha256(
        plain.encode('ascii')).digest()).decode('ascii').lower()
    start = '%s-%sh-' % (prefix, letter)
    room = MAX_LENGTH - len(start) - 1 - DIGEST_LENGTH
    return '%s%s-%s' % (start, body[:room], digest[:DIGEST_LENGTH])


def topic_queue(prefix, exchange, topic):
    """Competing consumers of ``topic`` (one server gets each message)."""
    return queue_name(prefix, 'topic', exchange, topic)


def server_queue(prefix, exchange, topic, server):
    """Messages for one server of ``topic``."""
    return queue_name(prefix, 'server', exchange, topic, server)


def fanout_queue(prefix, exchange, topic):
    """Fanout messages of ``topic``, read by every server (observers)."""
    return queue_name(prefix, 'fanout', exchange, topic)


def reply_queue(prefix, token):
    """The reply queue of one driver instance (``token``: 32 hex digits)."""
    name = queue_name(prefix, 'reply', token)
    if not is_reply_queue(name):
        raise ValueError('a reply queue token is 32 hex digits')
    return name


def is_reply_queue(name):
    """Whether ``name`` (any value) is a name ``reply_queue`` makes."""
    return (isinstance(name, str) and len(name) <= MAX_LENGTH and
            _REPLY.fullmatch(name) is not None)


def notification_queue(prefix, exchange, topic, pool=None):
    """Notifications of ``topic`` (``name.priority``) for ``pool``.

    ``pool=None`` is the default pool; a pool named ``''`` is another.
    """
    if pool is None:
        return queue_name(prefix, 'notification', exchange, topic)
    return queue_name(prefix, 'notification', exchange, topic, pool)


def parse(name):
    """``(prefix, kind letter, components)`` of a plain name, else None."""
    match = re.match(r'^([a-z0-9]{1,16})-([a-z])-(.*)$', name)
    if not match:
        return None
    return match.group(1), match.group(2), decode_body(match.group(3))
