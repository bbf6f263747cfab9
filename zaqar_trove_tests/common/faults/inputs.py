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


"""Bad input for the fault tests, layer by layer, and good input around it.

Every body that could run an endpoint if it were mishandled asks for
``note`` with a key ``bad-<name>``: a ledger then shows whether it ran.

- ``zaqar_malformed``: Zaqar message bodies the ``zaqar://`` driver must
  log and drop (not an envelope, another envelope version or kind,
  missing or mistyped fields, a call without reply queue, grant or
  reply key).
- ``oslo_refused``: well-formed requests oslo's dispatcher refuses
  (unknown method or version, no method, arguments not an object).
- ``rabbit_junk`` and ``rabbit_body``: the RabbitMQ control's equivalents,
  published raw with ``publish_rabbit``.
"""

import json
import uuid

from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import names

#: oslo.messaging's own wire envelope on RabbitMQ.
OSLO_VERSION = '2.0'


def note(key, version=None):
    """The oslo message of a ``note`` cast for ``key``."""
    message = {'method': 'note', 'args': {'key': key}}
    if version:
        message['version'] = version
    return message


def good_cast(key):
    """A ``zaqar://`` cast envelope the driver must deliver."""
    return envelope.cast({}, note(key))


def _cast(name, **changes):
    body = good_cast('bad-' + name)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


#: A grant of the right shape (Zaqar would refuse its signature): calls
#: must carry one, the malformed ones below are wrong elsewhere.
SHAPED_GRANT = {'paths': ['/v2/queues/om-r-%s/messages' % ('0' * 32)],
                'methods': ['POST'], 'project': 'p',
                'expires': '2030-01-01T00:00:00', 'signature': 'ab' * 32}


def any_reply_queue():
    """A well-formed reply queue name nobody reads."""
    return names.reply_queue('om', uuid.uuid4().hex)


def _call(name, reply_queue, **changes):
    body = envelope.call({}, note('bad-' + name), envelope.new_id(),
                         envelope.new_id(), reply_queue, SHAPED_GRANT, 60)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def zaqar_malformed(reply_queue=None):
    """``[(name, body)]`` the driver must log and drop, never execute."""
    reply_queue = reply_queue or any_reply_queue()
    return [
        ('string', 'note bad-string'),
        ('number', 42),
        ('list', [good_cast('bad-list')]),
        ('null', None),
        ('no-version', _cast('no-version', v=None)),
        ('other-major', _cast('other-major', v='2.0')),
        ('version-not-string', _cast('version-not-string', v=1.0)),
        ('unknown-kind', _cast('unknown-kind', k='exec')),
        ('reply-kind', _cast('reply-kind', k='reply', mid='x', end=True)),
        ('no-id', _cast('no-id', id=None)),
        ('no-context', _cast('no-context', ctx=None)),
        ('context-not-object', _cast('context-not-object', ctx='admin')),
        ('message-not-object', _cast('message-not-object',
                                     msg=[note('bad-message-not-object')])),
        ('call-without-reply-queue', _call('call-without-reply-queue',
                                           reply_queue, rq=None)),
        ('call-empty-reply-queue', _call('call-empty-reply-queue',
                                         reply_queue, rq='')),
        ('call-reply-queue-not-a-reply-queue', _call(
            'call-reply-queue-not-a-reply-queue', reply_queue,
            rq='om-t-openstack__victim')),
        ('call-without-grant', _call('call-without-grant', reply_queue,
                                     rg=None)),
        ('call-without-reply-key', _call('call-without-reply-key',
                                         reply_queue, rk=None)),
        ('call-without-timeout', _call('call-without-timeout',
                                       reply_queue, to=None)),
        ('call-timeout-not-number', _call('call-timeout-not-number',
                                          reply_queue, to='soon')),
    ]


def oslo_refused():
    """``[(name, oslo message)]`` oslo's dispatcher refuses to run."""
    return [
        ('unknown-method', {'method': 'no_such_method',
                            'args': {'key': 'bad-unknown-method'}}),
        ('unknown-version', note('bad-unknown-version', version='9.0')),
        ('no-method', {'args': {'key': 'bad-no-method'}}),
        ('args-not-object', {'method': 'note', 'args': 'bad-args'}),
    ]


def rabbit_body(message):
    """oslo.messaging's RabbitMQ wire format of an oslo message (text)."""
    return json.dumps({'oslo.version': OSLO_VERSION,
                       'oslo.message': json.dumps(message)})


def rabbit_junk():
    """``[(name, body text)]`` no RabbitMQ server may execute."""
    return [
        ('not-json', 'note bad-not-json {'),
        ('list', json.dumps([note('bad-list')])),
        ('string', json.dumps('note bad-string')),
        ('inner-not-json', json.dumps({'oslo.version': OSLO_VERSION,
                                       'oslo.message': 'bad-inner {'})),
    ] + [(name, rabbit_body(message)) for name, message in oslo_refused()]


def bad_keys(named):
    """The ledger keys a list of ``(name, ...)`` pairs would run as."""
    return ['bad-' + name for name, _ in named]


def publish_rabbit(url, topic, bodies, exchange='openstack'):
    """Publish raw ``bodies`` (text) to a topic as oslo would route them.

    :param url: the ``rabbit://`` transport URL (one host).
    :param exchange: '' is the default exchange: ``topic`` names a queue.
    """
    import kombu

    with kombu.Connection(url.replace('rabbit://', 'amqp://', 1)) as conn:
        producer = conn.Producer()
        for body in bodies:
            producer.publish(body, exchange=exchange, routing_key=topic,
                             content_type='application/json',
                             content_encoding='utf-8', retry=True)
