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

"""Check Zuul config files against Zuul's own configuration schema.

Run by whatever interpreter has the ``zuul`` package (it cannot share a
virtualenv with this project: it pins ``sqlalchemy<2.1``)::

    python zuul_schema.py FILE...

Each file is read with Zuul's YAML loader (duplicate keys are errors);
each stanza is validated by the voluptuous schema of Zuul's own parser for
its type, and every ``files``/``irrelevant-files`` regex is compiled the way
Zuul compiles it (re2; a pattern re2 refuses is an error here, a
deprecation in Zuul). Prints a JSON list of error strings; exits 0.
Imports nothing from this project.
"""

import json
import sys

import voluptuous as vs
from zuul import configloader
from zuul.lib import re2util
from zuul import model


def _parsers():
    return {
        'job': configloader.JobParser.schema,
        'nodeset': configloader.NodeSetParser(None).schema,
        'project': configloader.ProjectParser(None).schema,
        'project-template': configloader.ProjectTemplateParser(None).schema,
    }


def _regexes(stanza):
    for key in ('files', 'irrelevant-files'):
        value = stanza.get(key) or []
        for item in value if isinstance(value, list) else [value]:
            yield item['regex'] if isinstance(item, dict) else item


def check_file(path, schemas):
    errors = []
    context = model.SourceContext('opendev.org/x/zaqar-trove-tests',
                                  'x/zaqar-trove-tests', 'opendev',
                                  'master', path)
    with open(path) as f:
        text = f.read()
    try:
        data = configloader.safe_load_yaml(text, context)
    except Exception as exc:
        return ['%s: %s' % (path, exc)]
    if not isinstance(data, list):
        return ['%s: a Zuul config file is a list of stanzas' % path]
    for item in data:
        if not isinstance(item, dict) or len(item) != 1:
            errors.append('%s: a stanza is a mapping with one key' % path)
            continue
        (kind, stanza), = item.items()
        schema = schemas.get(kind)
        if schema is None:
            errors.append('%s: stanza type %r is not checked' % (path, kind))
            continue
        name = stanza.get('name', '?') if isinstance(stanza, dict) else '?'
        try:
            schema(stanza)
        except vs.Invalid as exc:
            errors.append('%s: %s %s: %s' % (path, kind, name, exc))
            continue
        for pattern in _regexes(stanza):
            regex = re2util.ZuulRegex(pattern)
            if regex.re2_failure:
                errors.append('%s: %s %s: re2 refuses %r' % (
                    path, kind, name, pattern))
    return errors


def main(paths):
    schemas = _parsers()
    errors = []
    for path in paths:
        errors.extend(check_file(path, schemas))
    json.dump(errors, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
