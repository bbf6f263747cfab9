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

"""Strict JSON schemas of our Zuul files.

Stricter than Zuul's own schema (zuul_schema.py checks that one when the
``zuul`` package is at hand): only the job attributes we use, typed; only
the variables the devstack and tempest roles read (a misspelt variable
is silently ignored by Ansible, so it is an error here); descriptions on
every job and nodeset names under our prefix.
"""

_NAME = {'type': 'string', 'pattern': r'^zaqar-trove-tests-[a-z0-9-]+$'}
_STRINGS = {'type': 'array', 'items': {'type': 'string', 'minLength': 1},
            'minItems': 1, 'uniqueItems': True}
_PLAYBOOKS = {'oneOf': [
    {'type': 'string', 'pattern': r'^playbooks/[\w./-]+\.yaml$'},
    {'type': 'array', 'minItems': 1, 'items': {
        'type': 'string', 'pattern': r'^playbooks/[\w./-]+\.yaml$'}}]}
_SCALAR = {'type': ['string', 'integer', 'number', 'boolean']}

#: devstack_local_conf: phase -> file -> section -> option -> value.
_LOCAL_CONF = {
    'type': 'object',
    'propertyNames': {'enum': ['post-config', 'extra', 'post-extra',
                               'test-config']},
    'additionalProperties': {
        'type': 'object',
        'propertyNames': {'pattern': r'^\$[A-Z][A-Z0-9_]*$|^/'},
        'additionalProperties': {
            'type': 'object',
            'additionalProperties': {
                'type': 'object',
                'propertyNames': {'pattern': r'^[a-z][a-z0-9_.-]*$'},
                'additionalProperties': _SCALAR}}}}

#: The variables of devstack's and tempest's roles that our jobs set.
VARS = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'tox_envlist': {'enum': ['all', 'py3', 'functional', 'local',
                                 'faults']},
        'bindep_profile': {'type': 'string', 'pattern': r'^[a-z0-9 ]+$'},
        'tempest_concurrency': {'type': 'integer', 'minimum': 1,
                                'maximum': 8},
        'tempest_test_regex': {'type': 'string', 'minLength': 1},
        'tempest_exclude_regex': {'type': 'string', 'minLength': 1},
        'tempest_test_timeout': {'type': 'integer', 'minimum': 60},
        'tempest_plugins': _STRINGS,
        'devstack_plugins': {
            'type': 'object',
            'propertyNames': {'pattern': r'^[a-z][a-z0-9-]*$'},
            'additionalProperties': {
                'type': 'string',
                'pattern': r'^(https://opendev\.org/[\w.-]+/[\w.-]+)?$'}},
        'devstack_localrc': {
            'type': 'object',
            'propertyNames': {'pattern': r'^[A-Z][A-Z0-9_]*$'},
            'additionalProperties': _SCALAR},
        'devstack_services': {
            'type': 'object',
            'propertyNames': {'pattern': r'^[a-z][a-z0-9-]*$'},
            'additionalProperties': {'type': 'boolean'}},
        'devstack_local_conf': _LOCAL_CONF,
        'zuul_copy_output': {
            'type': 'object',
            'additionalProperties': {'enum': ['logs', 'artifacts', 'docs']}},
        'zaqar_trove_require_kvm': {'type': 'boolean'},
        'tox_environment': {
            'type': 'object',
            'propertyNames': {'pattern': r'^[A-Z][A-Z0-9_]*$'},
            'additionalProperties': {'type': 'string'}},
    },
}

JOB = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['name', 'parent', 'description'],
    'properties': {
        'name': _NAME,
        'parent': {'type': 'string', 'minLength': 1},
        'abstract': {'type': 'boolean'},
        'description': {'type': 'string', 'minLength': 20},
        'nodeset': {'type': 'string', 'minLength': 1},
        'timeout': {'type': 'integer', 'minimum': 600, 'maximum': 10800},
        'voting': {'type': 'boolean'},
        'override-checkout': {'type': 'string',
                              'pattern': r'^stable/[\w.-]+$'},
        'required-projects': {
            'type': 'array', 'minItems': 1, 'uniqueItems': True,
            'items': {'type': 'string',
                      'pattern': r'^[a-z0-9-]+/[a-z0-9._-]+$'}},
        'irrelevant-files': _STRINGS,
        'files': _STRINGS,
        'pre-run': _PLAYBOOKS,
        'run': _PLAYBOOKS,
        'post-run': _PLAYBOOKS,
        'vars': VARS,
        'group-vars': {
            'type': 'object',
            'propertyNames': {'pattern': r'^[a-z][a-z0-9_-]*$'},
            'additionalProperties': VARS},
    },
}

NODESET = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['name', 'nodes'],
    'properties': {
        'name': _NAME,
        'nodes': {'type': 'array', 'minItems': 1, 'items': {
            'type': 'object', 'additionalProperties': False,
            'required': ['name', 'label'],
            'properties': {'name': {'type': 'string', 'minLength': 1},
                           'label': {'type': 'string', 'minLength': 1}}}},
        'groups': {'type': 'array', 'items': {
            'type': 'object', 'additionalProperties': False,
            'required': ['name', 'nodes'],
            'properties': {'name': {'type': 'string', 'minLength': 1},
                           'nodes': _STRINGS}}},
    },
}

_PIPELINE = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['jobs'],
    'properties': {'jobs': {'type': 'array', 'minItems': 1, 'items': {
        'oneOf': [
            {'type': 'string', 'minLength': 1},
            {'type': 'object', 'minProperties': 1, 'maxProperties': 1,
             'additionalProperties': {
                 'type': 'object', 'additionalProperties': False,
                 'properties': {'voting': {'type': 'boolean'}}}}]}}},
}

PROJECT = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['check', 'gate'],
    'properties': {'check': _PIPELINE, 'gate': _PIPELINE,
                   'periodic-weekly': _PIPELINE},
}

#: The schema of each stanza type we write.
STANZAS = {'job': JOB, 'nodeset': NODESET, 'project': PROJECT}
