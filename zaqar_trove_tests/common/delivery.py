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

"""Producers, consumers and the ledger of the delivery contracts (DEL).

A *peer* is one party of a test (producer, consumer, observer): the Zaqar
clients of one project sending one ``Client-ID``. A *channel* posts,
claims, deletes and releases over HTTP (``HttpChannel``) or over the
websocket API (``WebsocketChannel``), so one consumer loop serves both.
The ``Ledger`` records, from any number of threads, what was posted and
what every claim delivered, and names what went wrong.
"""

import collections
import threading
import time
from urllib import parse
import uuid

from tempest.lib import exceptions

from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.services.messaging import base
from zaqar_trove_tests.services import websocket

#: Claim TTL and grace of the consumers: Zaqar's minimums.
CLAIM_TTL = 60
CLAIM_GRACE = 60


def as_peer(clients, client_id=None):
    """Make every REST client of ``clients`` send one ``Client-ID``."""
    clients.client_id = client_id or str(uuid.uuid4())
    for client in (clients.queues, clients.messages, clients.claims,
                   clients.shares, clients.subscriptions):
        client.client_id = clients.client_id
    return clients


def body(run, producer, seq):
    """A message body naming its run, producer and sequence number."""
    return {'run': run, 'producer': producer, 'seq': seq}


def seqs(messages, producer=None):
    """The sequence numbers of ``messages`` (of one producer), in order."""
    return [m['body']['seq'] for m in messages
            if producer is None or m['body']['producer'] == producer]


class HttpChannel:
    """Messages over Zaqar's REST API, as one peer."""

    def __init__(self, clients):
        self.clients = clients

    def post(self, queue, messages):
        result = self.clients.messages.post_messages(queue, messages)
        return [href.rsplit('/', 1)[-1] for href in result['resources']]

    def claim(self, queue, limit, ttl=CLAIM_TTL, grace=CLAIM_GRACE):
        """(claim id, messages); (None, []) when nothing was claimed."""
        result = self.clients.claims.claim_messages(
            queue, ttl=ttl, grace=grace, limit=limit)
        if not result:
            return None, []
        return base.resource_id(result), result['messages']

    def delete(self, queue, message_id, claim_id):
        self.clients.messages.delete_message(queue, message_id,
                                             claim_id=claim_id)

    def release(self, queue, claim_id):
        self.clients.claims.release_claim(queue, claim_id)


class WebsocketChannel:
    """Messages over Zaqar's websocket API, on one connection."""

    def __init__(self, connection):
        self.connection = connection

    def post(self, queue, messages):
        return self.connection.message_post(queue, messages)['message_ids']

    def claim(self, queue, limit, ttl=CLAIM_TTL, grace=CLAIM_GRACE):
        result = self.connection.claim_create(queue, ttl=ttl, grace=grace,
                                              limit=limit)
        if result.response.status == 204:
            return None, []
        return result['claim_id'], result['messages']

    def delete(self, queue, message_id, claim_id):
        self.connection.message_delete(queue, message_id, claim_id=claim_id)

    def release(self, queue, claim_id):
        self.connection.claim_delete(queue, claim_id)


def post_bodies(channel, queue, bodies, batch, ttl=300, ledger=None):
    """Post ``bodies`` in batches of ``batch``; the ids in order."""
    ids = []
    for start in range(0, len(bodies), batch):
        chunk = bodies[start:start + batch]
        posted = channel.post(queue, [{'body': b, 'ttl': ttl} for b in chunk])
        if ledger is not None:
            ledger.record_posted(posted, chunk)
        ids.extend(posted)
    return ids


def drain(channel, queue, limit, max_claims=1000):
    """Claim and delete until a claim gets nothing; the messages in order.

    Each message is deleted with its claim id before the next claim.
    """
    delivered = []
    for _ in range(max_claims):
        claim_id, messages = channel.claim(queue, limit)
        if not messages:
            return delivered
        for message in messages:
            channel.delete(queue, message['id'], claim_id)
        delivered.extend(messages)
    raise AssertionError('%s not drained after %d claims' % (queue,
                                                             max_claims))


class Ledger:
    """What producers posted and what consumers received, thread-safe.

    A message is *held* from the claim that delivered it until its
    consumer deletes it or releases that claim (the consumer records the
    release before sending it, so no race can make a correct Zaqar look
    wrong). A delivery to another claim while a message is held is an
    *overlap*: two consumers own one message at once.

    :param redelivery: consumers release claims, so delivering a message
        again is no fault.
    """

    def __init__(self, redelivery=False):
        self.redelivery = redelivery
        self._lock = threading.Lock()
        self.posted = {}
        self.deliveries = collections.defaultdict(list)
        self.delivered_bodies = {}
        self.deleted = collections.Counter()
        self.held = {}
        self.overlaps = []
        self.refused = []
        self.errors = []

    def record_posted(self, ids, bodies):
        with self._lock:
            self.posted.update(zip(ids, bodies))

    def record_claim(self, consumer, claim_id, messages):
        with self._lock:
            for message in messages:
                mid = message['id']
                self.deliveries[mid].append((consumer, claim_id))
                self.delivered_bodies.setdefault(mid, message['body'])
                holder = self.held.get(mid)
                if holder is not None and holder != claim_id:
                    self.overlaps.append((mid, holder, claim_id))
                self.held[mid] = claim_id

    def record_release(self, claim_id, message_ids):
        with self._lock:
            for mid in message_ids:
                if self.held.get(mid) == claim_id:
                    del self.held[mid]

    def record_deleted(self, message_id):
        with self._lock:
            self.deleted[message_id] += 1
            self.held.pop(message_id, None)

    def record_refused(self, consumer, message_id, error):
        with self._lock:
            self.refused.append((consumer, message_id, _short(error)))

    def record_error(self, consumer, error):
        with self._lock:
            self.errors.append((consumer, _short(error)))

    def complete(self, expected):
        """``expected`` messages were posted and each was deleted."""
        with self._lock:
            return (len(self.posted) >= expected and
                    all(self.deleted[mid] for mid in self.posted))

    def losses(self):
        """Name -> sorted ids of messages lost, foreign or altered.

        Empty when every posted message was delivered with its body and
        deleted, and nothing else was delivered.
        """
        with self._lock:
            posted = set(self.posted)
            found = {
                'undelivered': sorted(posted - set(self.deliveries)),
                'not deleted': sorted(posted - set(self.deleted)),
                'unknown': sorted(set(self.deliveries) - posted),
                'body changed': sorted(
                    m for m, b in self.delivered_bodies.items()
                    if m in posted and b != self.posted[m]),
            }
        return {name: items for name, items in found.items() if items}

    def faults(self):
        """``losses`` and every other fault: name -> sorted entries.

        Besides losses: a message deleted twice (two consumers processed
        it: Zaqar answers 204 to deleting a deleted message), consumer
        errors and, unless ``redelivery``, a message delivered twice.
        Overlaps and refused deletes are ``steals``.
        """
        found = self.losses()
        with self._lock:
            found['deleted twice'] = sorted(
                m for m, n in self.deleted.items() if n > 1)
            found['errors'] = list(self.errors)
            if not self.redelivery:
                found['delivered twice'] = sorted(
                    m for m, d in self.deliveries.items() if len(d) > 1)
        return {name: items for name, items in found.items() if items}

    def steals(self):
        """Overlapping deliveries and deletes refused to their holder."""
        with self._lock:
            return list(self.overlaps) + list(self.refused)

    def summary(self):
        """Counts and samples, for failure messages."""
        with self._lock:
            counts = (len(self.posted), len(self.deliveries),
                      sum(len(d) for d in self.deliveries.values()),
                      sum(self.deleted.values()), len(self.overlaps),
                      len(self.refused), len(self.errors))
        faults = self.faults()
        lines = ['posted %d, delivered %d distinct in %d deliveries, '
                 'deleted %d; overlapping claims %d, refused deletes %d, '
                 'consumer errors %d' % counts]
        lines += ['%s: %d, e.g. %s' % (name, len(items), items[:3])
                  for name, items in sorted(faults.items())]
        steals = self.steals()
        if steals:
            lines.append('steals, e.g. %s' % steals[:3])
        return '\n'.join(lines)


def _short(error):
    return '%s: %s' % (type(error).__name__, str(error)[:200])


class Consumer(threading.Thread):
    """Claim, record and delete (or release) until told to stop.

    :param release_every: release every n-th claim instead of deleting
        its messages (0: never).
    :param idle: seconds to back off after a claim that got nothing.
    """

    def __init__(self, name, channel, queue, ledger, stop, limit=5,
                 release_every=0, idle=0.05):
        super().__init__(name='ztt-consumer-%s' % name, daemon=True)
        self.consumer = name
        self.channel = channel
        self.queue = queue
        self.ledger = ledger
        self.stop = stop
        self.limit = limit
        self.release_every = release_every
        self.idle = idle
        self.claims = 0

    def run(self):
        while not self.stop.is_set():
            try:
                claim_id, messages = self.channel.claim(self.queue,
                                                        self.limit)
            except Exception as exc:  # recorded; the consumer goes on
                self.ledger.record_error(self.consumer, exc)
                messages = []
            if not messages:
                self.stop.wait(self.idle)
                continue
            self.ledger.record_claim(self.consumer, claim_id, messages)
            self.claims += 1
            if self.release_every and self.claims % self.release_every == 0:
                self._release(claim_id, [m['id'] for m in messages])
            else:
                for message in messages:
                    self._acknowledge(message['id'], claim_id)

    def _release(self, claim_id, message_ids):
        self.ledger.record_release(claim_id, message_ids)
        try:
            self.channel.release(self.queue, claim_id)
        except Exception as exc:  # recorded; the consumer goes on
            self.ledger.record_error(self.consumer, exc)

    def _acknowledge(self, message_id, claim_id):
        try:
            self.channel.delete(self.queue, message_id, claim_id)
        except exceptions.Forbidden as exc:
            self.ledger.record_refused(self.consumer, message_id, exc)
        except Exception as exc:  # recorded; the consumer goes on
            self.ledger.record_error(self.consumer, exc)
        else:
            self.ledger.record_deleted(message_id)


class Producer(threading.Thread):
    """Post ``bodies`` in batches, recording them in the ledger."""

    def __init__(self, name, channel, queue, bodies, ledger, batch=10):
        super().__init__(name='ztt-producer-%s' % name, daemon=True)
        self.producer = name
        self.channel = channel
        self.queue = queue
        self.bodies = bodies
        self.ledger = ledger
        self.batch = batch

    def run(self):
        try:
            post_bodies(self.channel, self.queue, self.bodies, self.batch,
                        ledger=self.ledger)
        except Exception as exc:  # recorded: the messages count as lost
            self.ledger.record_error(self.producer, exc)


def compete(producers, consumers, queue, count, timeout, batch=10, limit=5,
            release_every=0):
    """Run producers and competing consumers over ``count`` messages.

    ``producers`` and ``consumers`` are channels; the producers share
    the messages, the consumers start first; ``limit`` is the claim limit
    of every consumer. Returns the ``Ledger`` once every posted message
    was deleted, or when ``timeout`` passed (the ledger then shows what
    is missing).
    """
    ledger = Ledger(redelivery=bool(release_every))
    stop, run = threading.Event(), uuid.uuid4().hex
    threads = [Consumer('c%d' % n, channel, queue, ledger, stop, limit,
                        release_every)
               for n, channel in enumerate(consumers)]
    share = -(-count // len(producers))
    for n, channel in enumerate(producers):
        name = 'p%d' % n
        seq = range(n * share, min(count, (n + 1) * share))
        threads.append(Producer(name, channel, queue,
                                [body(run, name, s) for s in seq], ledger,
                                batch))
    for thread in threads:
        thread.start()
    try:
        waiters.wait_until(lambda: ledger.complete(count), timeout,
                           interval=0.2, what='every message deleted')
    except exceptions.TimeoutException as exc:
        ledger.record_error('compete', exc)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
            if thread.is_alive():
                ledger.record_error(thread.name, 'did not stop within 30 s')
    return ledger


def next_marker(page):
    """The marker of a listing page's ``next`` link, or None."""
    for link in page.get('links') or []:
        if link.get('rel') == 'next':
            query = parse.parse_qs(parse.urlsplit(link['href']).query)
            return query.get('marker', [None])[0]
    return None


def read_pages(list_page, marker=None, max_pages=100):
    """Follow ``next`` links from ``marker`` until a page is empty.

    :param list_page: ``marker -> page`` (a ``list_messages`` call).
    :returns: (messages in the order listed, the last marker).
    """
    messages = []
    for _ in range(max_pages):
        page = list_page(marker)
        if not page.get('messages'):
            return messages, marker
        messages.extend(page['messages'])
        marker = next_marker(page) or marker
    return messages, marker


def post_document_size(messages):
    """Bytes of the POST body the REST client sends for ``messages``."""
    return len(base.MessagingClient.dumps(
        {'messages': messages}).encode('utf-8'))


def pad_to_post_size(size, messages):
    """``messages``, the last body padded: the POST is ``size`` bytes.

    The last message's body (a dict) gains an ASCII ``pad`` field.
    """
    def padded(pad):
        last = messages[-1]
        return list(messages[:-1]) + [
            dict(last, body=dict(last['body'], pad='p' * pad))]

    result = padded(size - post_document_size(padded(0)))
    if post_document_size(result) != size:
        raise ValueError('cannot fit %d bytes' % size)
    return result


def receive_pushed(connection, done, timeout):
    """Messages pushed to ``connection`` until ``done(received)``.

    Stops early (returning what arrived) when nothing more arrives
    before ``timeout`` seconds have passed in all.
    """
    received = []
    deadline = time.monotonic() + timeout
    while not done(received):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            received.append(connection.receive_message(remaining))
        except websocket.WebsocketTimeout:
            break
    return received
