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

"""Queues, messages and claims that tests create, and their observed state.

Every creating helper takes ``cleanup`` (``self.addCleanup`` or
``cls.addClassResourceCleanup``) and registers the deletion at once.
"""

import collections

from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions

from zaqar_trove_tests.services.messaging import base

#: A victim's queue: name, every message id, the claim and what it holds.
Victim = collections.namedtuple(
    'Victim', 'queue message_ids claim_id claimed_ids')

#: What one project holds in one queue (see observe).
QueueState = collections.namedtuple(
    'QueueState', 'listed metadata messages free claims counts')


def queue_name(prefix='ztt'):
    """A random, valid queue name."""
    return data_utils.rand_name(prefix=prefix, name='q')


def create_queue(clients, cleanup, name=None, metadata=None):
    """Create a queue (random name by default); return its name."""
    name = name or queue_name()
    clients.queues.create_queue(name, metadata=metadata)
    cleanup(test_utils.call_and_ignore_notfound_exc,
            clients.queues.delete_queue, name)
    return name


def post(clients, queue, bodies, ttl=300):
    """Post one message per body; their ids in order."""
    result = clients.messages.post_messages(
        queue, [{'body': body, 'ttl': ttl} for body in bodies])
    return [href.rsplit('/', 1)[-1] for href in result['resources']]


def claim(clients, queue, limit, ttl=300, grace=60):
    """Claim up to limit messages; (claim id, claimed message ids)."""
    result = clients.claims.claim_messages(queue, ttl=ttl, grace=grace,
                                           limit=limit)
    if not result:
        return None, []
    return (base.resource_id(result),
            [message['id'] for message in result['messages']])


def victim(clients, cleanup, name=None, messages=3, claimed=1):
    """A queue with metadata, messages messages, claimed claimed."""
    queue = create_queue(clients, cleanup, name,
                         metadata={'owner': clients.project_id})
    ids = post(clients, queue, [{'secret': data_utils.rand_uuid(), 'n': n}
                                for n in range(messages)])
    claim_id, claimed_ids = claim(clients, queue, claimed) if claimed else (
        None, [])
    return Victim(queue, ids, claim_id, claimed_ids)


def _all_pages(list_page, key, identity):
    """Follow ``next`` links until a page brings nothing new.

    A page that only repeats what was seen ends the walk: Zaqar's redis
    store restarts a listing whose marker is the queue's first message
    (see Findings, listing-marker-restart).
    """
    items, seen, marker = [], set(), None
    while True:
        page = list_page(marker)
        new = [item for item in page.get(key) or []
               if item[identity] not in seen]
        items.extend(new)
        seen.update(item[identity] for item in new)
        marker = _next_marker(page)
        if not new or marker is None:
            return items


def list_queue_names(clients):
    """The names of every queue of the clients' project."""
    return [queue['name'] for queue in _all_pages(
        lambda marker: clients.queues.list_queues(marker=marker), 'queues',
        'name')]


def list_all_messages(clients, queue):
    """Every unclaimed message of the queue (own ones too), page by page.

    Zaqar's redis store answers 503 to a first page with
    ``include_claimed`` (see Findings): claimed messages are seen through
    their claims or by id.
    """
    return _all_pages(lambda marker: clients.messages.list_messages(
        queue, marker=marker, echo=True, include_delayed=True), 'messages',
        'id')


def _next_marker(page):
    for link in page.get('links', []):
        if link.get('rel') == 'next':
            query = link['href'].partition('?')[2]
            for pair in query.split('&'):
                key, _, value = pair.partition('=')
                if key == 'marker':
                    return value
    return None


def observe(clients, queue, message_ids=(), claim_ids=(), strict=True):
    """``QueueState`` of ``queue`` as ``clients``' project sees it.

    ``metadata`` leaves out Zaqar's reserved (``_``) keys; ``messages``
    maps each of ``message_ids`` still there to its body; ``free`` is the
    sorted ids of every unclaimed message (so a message slipped in
    shows); ``claims`` maps each of ``claim_ids`` to the sorted ids it
    holds (None once gone); ``counts`` is the stats' free, claimed, total.
    Unless ``strict`` (then it raises), a part Zaqar answers with an error
    status is that status, ``'HTTP 503'``.
    """
    def part(read):
        try:
            return read()
        except exceptions.RestClientException as exc:
            if strict:
                raise
            return 'HTTP %s' % exc.resp.status

    def messages():
        shown = test_utils.call_and_ignore_notfound_exc(
            clients.messages.show_messages, queue, list(message_ids))
        return {m['id']: m['body'] for m in (shown or {}).get(
            'messages', [])}

    def claims():
        return {claim_id: test_utils.call_and_ignore_notfound_exc(
            lambda: sorted(m['id'] for m in clients.claims.show_claim(
                queue, claim_id)['messages'])) for claim_id in claim_ids}

    def counts():
        stats = clients.queues.show_queue_stats(queue)['messages']
        return tuple(stats[key] for key in ('free', 'claimed', 'total'))

    return QueueState(
        part(lambda: queue in list_queue_names(clients)),
        part(lambda: {key: value for key, value in
                      clients.queues.show_queue(queue).items()
                      if not key.startswith('_')}),
        part(messages) if message_ids else {},
        part(lambda: sorted(m['id'] for m in list_all_messages(
            clients, queue))),
        part(claims), part(counts))


def observe_victim(clients, victim, strict=True):
    return observe(clients, victim.queue, victim.message_ids,
                   [victim.claim_id] if victim.claim_id else [], strict)


def victim_after(clients, victim):
    """The victim's state once a test acted, to compare with before.

    As ``observe_victim``, but a part its owner cannot read any more is
    its error status (``'HTTP 503'``) instead of an exception.
    """
    return observe_victim(clients, victim, strict=False)


def assert_intact(test, clients, victim, before):
    """``victim`` looks to its owner exactly as it did ``before``.

    A part the owner can no longer read (an error status) differs too.
    """
    test.assertEqual(before, victim_after(clients, victim),
                     'queue %s of project %s changed' % (
                         victim.queue, clients.project_id))


def without_messages(state, message_ids):
    """``state`` once its owner deleted ``message_ids`` (claims stay)."""
    gone = set(message_ids)
    claims = {claim_id: held if held is None else [
        m for m in held if m not in gone]
        for claim_id, held in state.claims.items()}
    free = [m for m in state.free if m not in gone]
    claimed = sum(len(held or ()) for held in claims.values())
    return state._replace(
        messages={m: body for m, body in state.messages.items()
                  if m not in gone},
        free=free, claims=claims,
        counts=(len(free), claimed, len(free) + claimed))
