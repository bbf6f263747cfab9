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

"""Opt-in Zaqar variants: ``stack up --zaqar-variant NAME[,NAME]``.

Never on by default. A variant is a deployment setting (it rewrites the
stock ``zaqar.conf`` sections) or a small patch of Zaqar applied in the
Zaqar processes when they load their configuration (``zaqar_patches``):
each is a proposal for Zaqar, measured by the bench's ``variant`` stage
(README, Findings ``zaqar-floor-variants``). Pure: no Zaqar import here.
"""

#: The zaqar.conf section naming the variants a stack runs.
SECTION = 'zaqar_trove_tests'


def _redis_management(sections):
    """Queue metadata and subscriptions' queues in Redis, not SQL."""
    sections['drivers']['management_store'] = 'redis'
    sections.pop('drivers:management_store:sqlalchemy', None)
    sections['drivers:management_store:redis'] = dict(
        sections['drivers:message_store:redis'])


#: name -> (what it changes, sections rewrite or None, patch name or None)
VARIANTS = {
    'redis-management': (
        "Zaqar's Redis management store (a deployment setting): the queue "
        'metadata every post reads comes from Redis, not SQLAlchemy',
        _redis_management, None),
    'notifier-reuse': (
        'the notifier (a patch) loads each subscriber task once, not a '
        'stevedore DriverManager per subscription per post, the webhook '
        'task keeps one HTTP session (no cookies) per thread, and the '
        'websocket server keeps webhook connections open (HTTP/1.1)',
        None, 'notifier_reuse'),
    'notifier-lean': (
        'a post (a patch) reads its queue metadata once, not again in the '
        'notifier, with its existence in one Redis round trip, and the '
        'notifier stops listing subscriptions at a short page (stock asks '
        'for a second, empty one)',
        None, 'notifier_lean'),
}


def parse(text):
    """Variant names of ``"a,b"`` in a stable order.

    :raises ValueError: a name that is not a variant.
    """
    names = sorted({n.strip() for n in (text or '').split(',') if n.strip()})
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError('unknown Zaqar variant(s) %s (known: %s)' % (
            ', '.join(unknown), ', '.join(sorted(VARIANTS))))
    return names


def apply(sections, names):
    """Rewrite stock zaqar.conf ``sections`` in place for ``names``."""
    for name in names:
        rewrite = VARIANTS[name][1]
        if rewrite:
            rewrite(sections)
    if names:
        sections[SECTION] = {'variants': ','.join(names)}
    return sections


def patches(names):
    """The ``zaqar_patches`` functions ``names`` need, in order."""
    return [VARIANTS[n][2] for n in names if VARIANTS[n][2]]


def describe(names):
    return '; '.join('%s: %s' % (n, VARIANTS[n][0]) for n in names) or (
        'stock Zaqar')
