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


"""Summaries of latency samples and of throughput runs (pure functions)."""

import math


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list (None if empty).

    ``fraction`` is in [0, 1]: 0.5 is the median, 0.99 the 99th
    percentile (the smallest value at or above 99 % of the samples).
    """
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(samples_ms):
    """``{n, p50, p90, p99, mean, min, max}`` of latencies in ms."""
    values = sorted(samples_ms)
    if not values:
        return {'n': 0, 'p50': None, 'p90': None, 'p99': None,
                'mean': None, 'min': None, 'max': None}
    return {'n': len(values),
            'p50': percentile(values, 0.50),
            'p90': percentile(values, 0.90),
            'p99': percentile(values, 0.99),
            'mean': sum(values) / len(values),
            'min': values[0], 'max': values[-1]}


def rate(count, seconds):
    """Events per second (0 when no time passed)."""
    return count / seconds if seconds > 0 else 0.0


def ratio(value, reference):
    """``value / reference``, None when either is missing or zero."""
    if not value or not reference:
        return None
    return value / reference


def thin(samples, limit=2000):
    """At most ``limit`` samples spread evenly (for the JSON file)."""
    if len(samples) <= limit:
        return list(samples)
    step = len(samples) / float(limit)
    return [samples[int(i * step)] for i in range(limit)]


def cdf(samples, points=200):
    """``(xs, ys)`` of the empirical CDF, at most ``points`` points."""
    values = sorted(samples)
    if not values:
        return [], []
    n = len(values)
    idx = sorted({min(n - 1, int(i * n / points)) for i in range(points)} |
                 {n - 1})
    return [values[i] for i in idx], [(i + 1) / n for i in idx]
