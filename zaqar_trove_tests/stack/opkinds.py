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

"""Kinds of Zaqar operations, and arithmetic on their counts (pure).

The local stack's Zaqar processes count what they serve by kind
(``opcounter``); the benchmark diffs and sums those counts
(``bench.opsmeter``). A kind is a short string:

- HTTP: method and route template, the last collection named in
  the path, singular when an id follows it: ``POST messages``,
  ``GET messages`` (a listing), ``GET messages?ids`` (by ids),
  ``DELETE message`` (one, by id), ``DELETE messages?ids``,
  ``DELETE messages?pop``, ``POST claims``, ``PATCH claim``,
  ``DELETE claim``, ``PUT queue``, ``POST share``, ``POST
  subscriptions``, ``GET health``, ``GET versions`` (``/``);
- websocket: the frame's ``action`` (``message_post``,
  ``claim_create``, ``authenticate``...), ``connect`` (a connection
  opened), ``webhook`` (a notification POSTed to the notification
  port), ``push`` (a notification forwarded to a live subscriber) and
  ``push_dropped`` (its subscriber is not connected).

Anything not in the known vocabulary is ``other``, so that no client,
however hostile, can grow a process's table of counts.
"""

#: Collections of Zaqar's v2 API (and the last words of its paths).
COLLECTIONS = frozenset((
    'queues', 'messages', 'claims', 'subscriptions', 'pools', 'flavors',
    'share', 'purge', 'stats', 'confirm', 'health', 'ping', 'topics'))
METHODS = frozenset(('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE',
                     'OPTIONS'))
#: Query keys that make a different operation of the same route.
QUERY_KINDS = {('GET', 'messages'): ('ids',),
               ('DELETE', 'messages'): ('ids', 'pop'),
               ('GET', 'subscriptions'): ()}
#: Websocket actions Zaqar knows (``zaqar.common.consts``) and ours.
WS_ACTIONS = frozenset((
    'authenticate', 'get_home_doc', 'check_node_health', 'get_node_health',
    'subscription_create', 'subscription_list', 'subscription_get',
    'subscription_delete', 'message_post', 'message_list', 'message_get',
    'message_get_many', 'message_delete', 'message_delete_many',
    'queue_create', 'queue_list', 'queue_get', 'queue_delete',
    'queue_get_stats', 'queue_purge', 'claim_create', 'claim_get',
    'claim_update', 'claim_delete', 'pool_create', 'pool_list', 'pool_get',
    'pool_get_detail', 'pool_update', 'pool_delete', 'flavor_create',
    'flavor_list', 'flavor_get', 'flavor_update', 'flavor_delete',
    'connect', 'webhook', 'push', 'push_dropped'))
OTHER = 'other'
#: The groups a benchmark reports, by the stack service counting them;
#: websocket servers 2.. (``zaqar-websocket-2``...) count as the first
#: (``group``).
GROUPS = {'zaqar': 'http', 'zaqar-websocket': 'websocket'}


def group(service):
    """The group of ``service``'s counts; itself outside ``GROUPS``."""
    if service in GROUPS:
        return GROUPS[service]
    base, _, index = service.rpartition('-')
    if base in GROUPS and index.isdigit():
        return GROUPS[base]
    return service


def _version(segment):
    return segment[:1] == 'v' and segment[1:2].isdigit()


def http_kind(method, path, query=''):
    """The kind of an HTTP request (``PATH_INFO``, ``QUERY_STRING``)."""
    if method not in METHODS:
        return OTHER
    parts = [p for p in path.split('/') if p]
    if not parts:
        return method + ' versions'
    if not _version(parts[0]):
        return OTHER
    parts = parts[1:]
    if not parts:
        return method + ' home'
    # Collections sit at even positions, ids at odd ones.
    if len(parts) > 6 or any(parts[i] not in COLLECTIONS
                             for i in range(0, len(parts), 2)):
        return OTHER
    name = parts[-1] if len(parts) % 2 else parts[-2][:-1]
    kind = method + ' ' + name
    for key in QUERY_KINDS.get((method, name), ()):
        if _has_key(query, key):
            return kind + '?' + key
    return kind


def _has_key(query, key):
    if not query:
        return False
    return any(item.partition('=')[0] == key for item in query.split('&'))


def ws_kind(action):
    """The kind of a websocket frame of ``action`` (any value)."""
    return action if isinstance(action, str) and action in WS_ACTIONS \
        else OTHER


def add(a, b):
    """``a + b``, counts by kind (new dict)."""
    out = dict(a)
    for kind, n in b.items():
        out[kind] = out.get(kind, 0) + n
    return out


def diff(after, before):
    """``after - before`` by kind, kinds that did not move left out.

    A kind missing from ``before`` counts from 0 (a new process).
    """
    out = {}
    for kind, n in after.items():
        moved = n - before.get(kind, 0)
        if moved:
            out[kind] = moved
    return out


def by_group(snapshots):
    """Sum per-process counts into ``{group: {kind: n}}``.

    :param snapshots: ``[{'service': name, 'counts': {kind: n}}]``; a
        service outside ``GROUPS`` (and not numbered after one) is its own
        group.
    """
    out = {}
    for snap in snapshots:
        name = group(snap['service'])
        out[name] = add(out.get(name, {}), snap['counts'])
    return out


def group_diff(after, before):
    """``diff`` of two ``by_group`` results (every group of ``after``)."""
    return {group: diff(counts, before.get(group, {}))
            for group, counts in after.items()}


def group_add(a, b):
    """``add`` of two ``by_group`` results."""
    return {group: add(a.get(group, {}), b.get(group, {}))
            for group in set(a) | set(b)}


def per(counts, n):
    """``{group: {kind: count / n}, 'total': {group: sum / n}}``.

    None when ``counts`` is None (nothing was counted) or ``n`` is 0.
    """
    if counts is None or not n:
        return None
    out = {group: {kind: c / float(n) for kind, c in kinds.items()}
           for group, kinds in counts.items()}
    out['total'] = {group: sum(kinds.values()) / float(n)
                    for group, kinds in counts.items()}
    return out
