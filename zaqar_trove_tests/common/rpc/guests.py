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


"""Guests of the ``zaqar://`` driver for the ISO-4 contracts.

A *signed guest* holds no keystone credentials, only the pre-signed URLs
its control plane minted for its own queues (the driver's
``share_server_queues``, the tool an operator uses to provision one).
The helpers below reach the driver object behind an oslo ``Transport``
for that tool and for the queue names it derives; tests use the names
only as an observer (an attacker would have to guess them).
"""

import collections
import datetime
import json
import os

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.rpc import envelope
from zaqar_trove_tests.rpc import provision
from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging

#: How long minted guest grants live.
GRANT_LIFETIME = datetime.timedelta(hours=1)


def driver(transport):
    """The ``zaqar://`` driver object behind an oslo ``Transport``."""
    return transport._driver


def server_queues(transport, target):
    """``{mode: queue}`` an RPC server of ``target`` reads.

    Modes: ``pop`` (its own queue), ``claim`` (the topic's), ``observe``
    (the topic's fanout queue).
    """
    return {mode: queue
            for queue, mode in driver(transport).server_queues(target)}


def queue_kind(queue):
    """The kind letter of a driver's queue name, or None (rpc.names).

    ``r`` reply, ``s`` server, ``t`` topic, ``f`` fanout, ``n``
    notification; hashed long names keep the letter.
    """
    parts = queue.split('-', 2)
    return parts[1][:1] if len(parts) == 3 and parts[1] else None


def signed_guest_url(transport, url, target, directory, send_topics=()):
    """A ``zaqar://`` URL holding only pre-signed URLs for ``target``.

    :param transport: the control plane's transport, which mints them.
    :param url: any ``zaqar://`` URL of the same Zaqar; its credentials,
        keystone parameters, websocket and delivery are removed (signed
        guests poll: ``rpc.provision.guest_url``).
    :param directory: where the grants file is written.
    :returns: ``(guest url, grants)``.
    """
    grants = driver(transport).share_server_queues(
        target, provision.expiry(GRANT_LIFETIME),
        send_topics=list(send_topics))
    path = os.path.join(directory, '%s.json' % target.server)
    with open(path, 'w') as f:
        json.dump(grants, f)
    return provision.guest_url(url, path), grants


def forged_reply(msg_id, result, reply_key=None):
    """A well-formed reply envelope to call ``msg_id``.

    :param reply_key: the call's reply key if the forger knows it (else
        a random one).
    """
    return envelope.reply({'mid': msg_id,
                           'rk': reply_key or envelope.new_id()},
                          result=result)


def grant_expiry(grant):
    """When a pre-signed URL grant expires (epoch s; Zaqar's UTC time)."""
    expires = datetime.datetime.strptime(grant['expires'],
                                         '%Y-%m-%dT%H:%M:%S')
    return expires.replace(tzinfo=datetime.timezone.utc).timestamp()


def pop_call(grant_clients, queue, timeout):
    """The call envelope a guest pops raw off its ``queue``.

    :param grant_clients: ``GrantClients`` of a grant that may pop it.
    """
    def popped():
        return grant_clients.messages.pop_messages(queue, 1)['messages']

    message = waiters.wait_until(popped, timeout,
                                 what='a call popped off %s' % queue)[0]
    return call_of(message)


def call_of(message):
    """The call envelope in a Zaqar message read off a server's queue."""
    return envelope.decode(message['body'], ('call',))


#: Zaqar clients speaking with one pre-signed URL only.
GrantClients = collections.namedtuple('GrantClients',
                                      'messages claims queues')


def grant_clients(clients, grant):
    """``GrantClients`` on the endpoint of ``clients`` (ZaqarClients)."""
    def build(client_class):
        return clients.as_(client_class,
                           lambda base: auth.signed_url(base, grant))
    return GrantClients(build(messaging.MessagesClient),
                        build(messaging.ClaimsClient),
                        build(messaging.QueuesClient))
