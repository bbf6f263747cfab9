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

"""The soak's report: JSON, markdown and a plot (latency, memory)."""

import json
import os

MIB = 2.0 ** 20
#: Trends in bytes, shown in MiB.
BYTES = ('Redis memory', 'driver RSS')


def _fmt(value, scale=1.0, digits=1):
    return '-' if value is None else '%.*f' % (digits, value / scale)


def markdown(result):
    """The report's text: setup, accounting, verdicts, the samples."""
    config = result['config']
    lines = [
        '# Soak: %(minutes)s minutes after a %(warmup)s-minute warm-up, '
        '%(guests)s push guests' % config,
        '',
        '%s; %s cores. Load: %s callers, each a call and a cast per %s s; '
        'heartbeats every 30 s per guest; a notification per 5 s; %s guests '
        'replaced per minute. Verdict: **%s**.' % (
            result['machine']['time'], result['machine']['cores'],
            config['callers'], config['call_period'], config['churn'],
            'met' if result['ok'] else 'MISSED'),
        '', '| accounting | measured | verdict |', '|---|---|---|']
    for v in result['accounting']:
        lines.append('| %s | %s | %s |' % (v['name'], v['measured'], {
            True: 'met', False: 'MISSED', None: '-'}[v['ok']]))
    requests = json.dumps(result['requests'], sort_keys=True)
    lines += ['', 'Requests: %s' % requests, '',
              '| last vs first %d min | first | last | ratio | limit | '
              'verdict |' % round(result['window_s'] / 60.0),
              '|---|---|---|---|---|---|']
    for v in result['trends']:
        scale = MIB if v['name'] in BYTES else 1.0
        lines.append('| %s | %s | %s | %s | <= %.2f | %s |' % (
            v['name'], _fmt(v['first'], scale, 2), _fmt(v['last'], scale, 2),
            _fmt(v['ratio'], digits=3), v['limit'],
            'met' if v['ok'] else 'MISSED'))
    lines += ['', '| min | calls | failed | p50 ms | p99 ms | Redis MiB | '
              'keys | queues | guests | driver MiB | threads | fds |',
              '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for s in result['samples']:
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | '
                     '%s | %s |' % (
                         _fmt(s['t_s'], 60.0), s['calls'], s['calls_failed'],
                         _fmt(s['call_p50_ms']), _fmt(s['call_p99_ms']),
                         _fmt(s['redis_memory'], MIB), s['redis_keys'],
                         s['queues'], s['guests'],
                         _fmt(s['driver_rss'], MIB), s['driver_threads'],
                         s['driver_fds']))
    return '\n'.join(lines) + '\n'


def plot(result, path):
    """Latency and memory over time (PNG)."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    samples = result['samples']
    minutes = [s['t_s'] / 60.0 for s in samples]
    fig, (lat, mem) = pyplot.subplots(1, 2, figsize=(13, 4.5))
    for field, label in (('call_p50_ms', 'call p50'),
                         ('call_p99_ms', 'call p99')):
        lat.plot(minutes, [s[field] for s in samples], marker='.',
                 label=label)
    lat.set(xlabel='minute', ylabel='ms', title='zaqar:// call latency')
    lat.legend()
    for field, label in (('redis_memory', 'Redis used memory'),
                         ('driver_rss', 'guests process RSS')):
        mem.plot(minutes, [s[field] / MIB for s in samples], marker='.',
                 label=label)
    queues = mem.twinx()
    queues.plot(minutes, [s['queues'] for s in samples], color='grey',
                linestyle='--', label='Zaqar queues')
    queues.set_ylabel('queues')
    queues.set_ylim(bottom=0)
    mem.set(xlabel='minute', ylabel='MiB', title='memory and queues')
    for axis in (lat, mem):
        axis.axvspan(0, result['warmup_s'] / 60.0, color='0.92')
    mem.legend(loc='upper left')
    fig.suptitle(result['machine']['time'], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)


def write(result, out_dir, stamp):
    """Write soak-STAMP.json, .md and .png; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, 'soak-%s' % stamp)
    with open(base + '.json', 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True)
    with open(base + '.md', 'w') as f:
        f.write(markdown(result))
    plot(result, base + '.png')
    return {'json': base + '.json', 'markdown': base + '.md',
            'plot': base + '.png'}
