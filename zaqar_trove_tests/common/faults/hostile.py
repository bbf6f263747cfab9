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

"""What a hostile guest writes into the queues it can reach (ISO-5).

Pure functions building Zaqar message bodies: every field of a good
envelope with every wrong type (``mistyped``), deep nesting (``deep``),
bodies that are no envelope at all (``foreign``). The security tests post
them with the guest's own grants; ``inputs`` holds the narrower set
the fault tests use.
"""

#: Values of every JSON type and the numbers and strings that break
#: careless code (unhashable, non-finite, out of range, huge).
WRONG = {
    'list': ['a', 'b'],
    'object': {'a': 1},
    'null': None,
    'true': True,
    'zero': 0,
    'negative': -1,
    'int64': 2 ** 63 - 1,
    'huge-float': 1e308,
    'nan': float('nan'),
    'infinity': float('inf'),
    'empty': '',
    'long-string': 'x' * 20000,
    'newline': 'a' * 32 + '\n',
}


def mistyped(good, fields=None):
    """``[(name, body)]``: ``good`` with one field set to a wrong value.

    :param fields: the fields to spoil (default: every field of ``good``).
    """
    out = []
    for field in fields or sorted(good):
        for kind, value in WRONG.items():
            out.append(('%s-%s' % (field, kind), dict(good, **{field: value})))
    return out


def deep(depth, leaf='x'):
    """A list nested ``depth`` levels deep."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def foreign():
    """``[(name, body)]``: JSON bodies that are no envelope at all."""
    return [(kind, value) for kind, value in WRONG.items()] + [
        ('deep-list', deep(200)),
        ('oslo-rabbit', {'oslo.version': '2.0', 'oslo.message': '{}'}),
        ('nested-envelope', {'body': {'v': '1.1', 'k': 'reply'}}),
    ]


def batches(bodies, size=10):
    """``bodies`` as Zaqar post batches of at most ``size`` messages."""
    return [bodies[i:i + size] for i in range(0, len(bodies), size)]
