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


"""Where Zaqar's CPU goes: py-spy's collapsed stacks, summed (pure).

A raw py-spy file has one line per distinct stack, ``frame;frame;...
COUNT``, root first, each frame ``func (path/file.py:LINE)``. A sample
whose leaf frame is a wait (``IDLE_LEAVES``) is idle and dropped; the
others are busy. A named cost (``GROUPS``, the costs issue 14 asks
about) counts the busy samples with it anywhere on the stack; a
function the samples in which it runs itself (the innermost frame);
both over all busy samples of that process kind.
"""

import collections
import os
import re

#: Leaf frames that wait rather than work: ``(function, file basename)``.
IDLE_LEAVES = frozenset((
    ('wait', 'threading.py'), ('_wait_for_tstate_lock', 'threading.py'),
    ('select', 'selectors.py'), ('poll', 'selectors.py'),
    ('accept', 'socket.py'), ('recv_into', 'socket.py'),
    ('readinto', 'socket.py'),
    ('switch', 'hub.py'), ('wait', 'poll.py'), ('wait', 'epolls.py'),
    ('wait', 'selects.py'),
))

#: Named costs: ``(name, match, within)``. ``match`` and ``within`` are
#: ``(path fragment, function names or None for any)``; a busy sample
#: counts if a frame matches ``match`` and, given ``within``, an outer
#: frame matches ``within``.
_NOTIFIER = ('zaqar/notification/notifier.py', ('post',))
GROUPS = (
    ('queue metadata read (SQLAlchemy management store)',
     ('zaqar/storage/sqlalchemy/queues.py', ('get_metadata', '_get')),
     None),
    ('notifier (NotifierDriver.post)', _NOTIFIER, None),
    ('notifier: subscription listing',
     ('zaqar/storage/', ('list',)), _NOTIFIER),
    ('message stored in Redis (redis MessageController.post)',
     ('zaqar/storage/redis/messages.py', ('post',)), None),
    # The middleware's __call__ wraps the whole request: only its token
    # check (process_request) is the auth's own cost.
    ('keystone token check (auth_token process_request)',
     ('keystonemiddleware/', ('process_request',)), None),
)

_FRAME = re.compile(r'^(?P<func>.*) \((?P<path>[^()]*?)(?::\d+)?\)$')


def frame(text):
    """``(function, path)`` of one frame; path '' if it names none."""
    found = _FRAME.match(text)
    if not found:
        return text, ''
    return found.group('func'), found.group('path')


def parse(text):
    """``[(frames, count)]`` of a raw file; frames root first."""
    out = []
    for line in text.splitlines():
        stack, _, count = line.strip().rpartition(' ')
        if not stack or not count.isdigit():
            continue
        out.append(([frame(f) for f in stack.split(';')], int(count)))
    return out


def _short(func):
    """The function's own name (py-spy may give ``Class.func``)."""
    return func.rpartition('.')[2]


def label(func, path):
    """``func (file.py)``: how a function is reported."""
    return '%s (%s)' % (func, os.path.basename(path)) if path else func


def is_idle(frames):
    """Whether the sample's leaf frame is a wait (``IDLE_LEAVES``)."""
    func, path = frames[-1]
    return (_short(func), os.path.basename(path)) in IDLE_LEAVES


def busy(samples):
    """The samples that are not idle."""
    return [(frames, n) for frames, n in samples if frames and
            not is_idle(frames)]


def _matches(spec, func, path):
    fragment, names = spec
    return fragment in path and (names is None or _short(func) in names)


def _index(frames, spec, start=0):
    """Index of the first frame from ``start`` matching, else None."""
    for i in range(start, len(frames)):
        if _matches(spec, *frames[i]):
            return i
    return None


def in_group(frames, match, within=None):
    """Whether a stack counts for a group (see ``GROUPS``)."""
    start = 0
    if within is not None:
        outer = _index(frames, within)
        if outer is None:
            return False
        start = outer + 1
    return _index(frames, match, start) is not None


def summarize(samples, top=15, rate=None, messages=None):
    """Busy samples' top running functions and ``GROUPS``, as shares.

    :param samples: ``parse`` output, any number of files together.
    :param rate: py-spy's samples per second, for ``busy_s``.
    :param messages: messages posted in the window, for ``busy_ms_per_
        message`` (sampled busy time, all threads, per message).
    :returns: ``{samples, busy, busy_s, busy_ms_per_message, top:
        [{function, samples, share}], groups: [{name, samples,
        share}]}``.
    """
    work = busy(samples)
    total = sum(n for _, n in work)
    own = collections.Counter()
    for frames, n in work:
        own[label(*frames[-1])] += n
    groups = [(name, sum(n for frames, n in work
                         if in_group(frames, match, within)))
              for name, match, within in GROUPS]
    busy_s = total / float(rate) if rate else None
    return {
        'samples': sum(n for _, n in samples), 'busy': total,
        'busy_s': busy_s,
        'busy_ms_per_message': (busy_s * 1000.0 / messages
                                if busy_s is not None and messages
                                else None),
        'top': [{'function': name, 'samples': n, 'share': _share(n, total)}
                for name, n in own.most_common(top)],
        'groups': [{'name': name, 'samples': n, 'share': _share(n, total)}
                   for name, n in groups]}


def _share(part, total):
    return part / float(total) if total else None


def gunicorn_workers(parents):
    """The pids of a gunicorn group that are workers, not the master.

    :param parents: ``{pid: parent pid}`` of the service's process group.
    :returns: the members whose parent is a member (the master's
        children), sorted; all of them if none is (no master).
    """
    children = sorted(p for p, parent in parents.items()
                      if parent in parents)
    return children or sorted(parents)


def _pct(share):
    return '-' if share is None else '%.1f %%' % (100 * share)


def markdown(profile):
    """``results['profile']`` as markdown: a table per process kind."""
    if not profile:
        return []
    if profile.get('gil'):
        sampled = ', sampling the thread that holds the GIL (`--gil`)'
        busy = (': Python code running in the process, one thread at a '
                'time; C work with the GIL released (system calls) is not '
                'counted')
    else:
        sampled = ''
        busy = (', all threads (a thread waiting for the GIL or in a '
                'socket read counts as busy)')
    out = ['## Profile: Zaqar under the floor call', '',
           'py-spy at %(rate)d Hz for %(seconds).0f s while %(callers)d '
           'callers made floor calls (%(calls)d calls, %(messages)d '
           'messages posted)' % profile + sampled +
           '. Samples whose innermost frame waits (`profile.IDLE_LEAVES`) '
           'are idle and dropped; shares are of the busy samples: a named '
           'cost counts wherever it is on the stack, a function of the '
           'second table only where it runs itself (the innermost frame). '
           'Busy time is busy samples over the rate' + busy + '.', '']
    for kind, item in sorted(profile['kinds'].items()):
        per_message = item.get('busy_ms_per_message')
        out += ['### %s (pids %s)' % (kind, ', '.join(
            str(p) for p in item['pids'])), '',
            '%d samples, %d busy: %s s sampled busy, %s ms per message '
            'posted.' % (item['samples'], item['busy'],
                         '-' if item['busy_s'] is None else
                         '%.1f' % item['busy_s'],
                         '-' if per_message is None else
                         '%.2f' % per_message), '']
        out += _table('named cost', [(g['name'], g['samples'], g['share'])
                                     for g in item['groups']])
        out += _table('function running (file)', [
            ('`%s`' % t['function'], t['samples'], t['share'])
            for t in item['top']])
    return out


def _table(first, rows):
    return ['| %s | busy samples | share of busy |' % first,
            '|---|---|---|'] + ['| %s | %s | %s |' % (
                name, n, _pct(share)) for name, n, share in rows] + ['']
