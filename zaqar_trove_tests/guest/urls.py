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

"""``zaqar://`` transport URLs derived from a configured one.

The configured URL (``[zaqar_trove] zaqar_transport_url``) names Zaqar's
hosts, API path, keystone and websocket endpoints and an identity. These
helpers keep the endpoints and replace the identity: another keystone
user and project (``with_identity``), or none but a file of pre-signed
URLs, as a guest holding no credentials uses it (``signed``).
"""

from urllib import parse

#: Query parameters that carry an identity (replaced, never kept).
IDENTITY_KEYS = frozenset((
    'auth', 'auth_mode', 'token', 'signed_urls_file', 'username', 'user_id',
    'password', 'user_domain_name', 'user_domain_id', 'project_id',
    'project_name', 'project_domain_name', 'project_domain_id',
    'domain_id', 'domain_name', 'system_scope', 'trust_id'))

#: What a signed guest keeps of the query (it has no keystone or push).
SIGNED_KEEP = frozenset(('queue_prefix', 'max_message_size', 'message_ttl',
                         'reply_ttl', 'http_timeout', 'poll_max_interval'))


def _split(url):
    parts = parse.urlsplit(url)
    hosts = [host.rpartition('@')[2] for host in parts.netloc.split(',')]
    query = parse.parse_qsl(parts.query, keep_blank_values=True)
    return parts, hosts, query


def _join(parts, hosts, query):
    return parse.urlunsplit((parts.scheme, ','.join(hosts), parts.path,
                             parse.urlencode(query, safe=':/'), ''))


def with_identity(url, user_id, password, project_id):
    """``url`` authenticating as keystone ``user_id`` in ``project_id``."""
    parts, hosts, query = _split(url)
    query = [(k, v) for k, v in query if k not in IDENTITY_KEYS]
    query += [('user_id', user_id), ('password', password),
              ('project_id', project_id)]
    return _join(parts, hosts, query)


def signed(url, signed_urls_file):
    """``url`` for a guest holding only the pre-signed URLs in a file."""
    parts, hosts, query = _split(url)
    query = [(k, v) for k, v in query if k in SIGNED_KEEP]
    query += [('auth_mode', 'signed'), ('signed_urls_file', signed_urls_file)]
    return _join(parts, hosts, query)
