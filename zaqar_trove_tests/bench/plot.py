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


"""The PNG: call latency distributions, throughput and idle cost."""

from zaqar_trove_tests.bench import report
from zaqar_trove_tests.bench import stats

COLOURS = {'rabbit': '#ff7f0e', 'push': '#1f77b4', 'poll': '#2ca02c',
           'floor call': '#7f7f7f', 'floor call, claiming': '#bcbd22',
           'floor call, websocket posts': '#17becf'}


def _cells(results):
    """``(label, cell)`` of every floor call and 1-server call cell."""
    floor = results.get('floor', {})
    for key, label in report.FLOOR_LABELS.items():
        for item in floor.get(key, []):
            yield label, item
    for item in results.get('calls', []):
        if item['servers'] == 1:
            yield item['transport'], item


def _series(results, callers):
    """``{label: cell}`` at ``callers`` callers, 1 server."""
    return {label: item for label, item in _cells(results)
            if item['callers'] == callers}


def _label(ax, xlabel, ylabel, title):
    """Axis labels, title, grid, and a legend if anything is labelled."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def _latency(ax, results):
    for label, item in _series(results, 1).items():
        xs, ys = stats.cdf(item.get('samples_ms', []))
        if xs:
            ax.step(xs, ys, where='post', label=label,
                    color=COLOURS.get(label))
    ax.set_xscale('log')
    _label(ax, 'call latency, ms (1 caller, 1 server; log)',
           'fraction of calls', 'call() latency distribution')


def _throughput(ax, results):
    lines = {}
    for label, item in _cells(results):
        lines.setdefault(label, []).append(
            (item['callers'], item['calls_per_s']))
    for label, points in lines.items():
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], 'o-',
                label=label, color=COLOURS.get(label))
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    callers = sorted({p[0] for points in lines.values() for p in points})
    ax.set_xticks(callers)
    ax.set_xticklabels([str(c) for c in callers])
    _label(ax, 'concurrent callers (1 server)', 'calls/s (log)',
           'call() throughput')


def _idle(ax, results):
    steps = results.get('idle', {}).get('steps', [])
    for delivery in ('push', 'poll'):
        points = sorted((s['guests'], 100 * s['cpu']['zaqar_redis'])
                        for s in steps if s['delivery'] == delivery)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], 'o-',
                    label=delivery + ' (window)', color=COLOURS[delivery])
    points = sorted((s['guests'], 100 * s['projected']['zaqar_redis'])
                    for s in steps if 'projected' in s)
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], 's--',
                label='push (projected)', color=COLOURS['push'])
    ax.axhline(5, color='red', linestyle=':', label='target (push, 1000)')
    ax.set_xscale('log')
    ax.set_yscale('log')
    _label(ax, 'idle guests (log)', 'Zaqar + Redis, % of one core (log)',
           'idle cost')


def render(results, path):
    """Write the figure to ``path`` (PNG)."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    fig, axes = pyplot.subplots(1, 3, figsize=(16, 4.8))
    _latency(axes[0], results)
    _throughput(axes[1], results)
    _idle(axes[2], results)
    m = results.get('machine', {})
    fig.suptitle('zaqar:// vs rabbit:// -- %s cores, load %s at start, %s' % (
        m.get('cores'), '/'.join(str(x) for x in m.get('load_1_5_15', [])),
        m.get('time', '')), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
