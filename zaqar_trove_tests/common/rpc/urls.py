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


"""Transport URLs derived from the configured ones (pure functions).

The stack writes one ``zaqar://USER:PASS@HOST:PORT/?auth_url=...`` URL;
the isolation tests need the same Zaqar seen by other identities, and some
tests another delivery mode. ``derive`` keeps scheme, hosts and path and
replaces the credentials and query parameters it is given.
"""

from urllib import parse

_SAFE = ':/'


def derive(url, username=None, password=None, **query):
    """``url`` with other credentials and query parameters.

    :param username: replaces the user of every host (with ``password``);
        None keeps the URL's credentials, '' removes them.
    :param query: parameter -> value; None removes the parameter. Other
        parameters keep their value and order; new ones are appended.
    """
    parts = parse.urlsplit(url)
    netloc = parts.netloc
    if username is not None:
        userinfo = parse.quote(username, safe='')
        if userinfo and password is not None:
            userinfo += ':' + parse.quote(password, safe='')
        netloc = ','.join(
            (userinfo + '@' if userinfo else '') + host.rpartition('@')[2]
            for host in netloc.split(','))
    params = parse.parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, query.pop(k) if k in query else v) for k, v in params]
    kept.extend(query.items())
    text = '&'.join('%s=%s' % (k, parse.quote(str(v), safe=_SAFE))
                    for k, v in kept if v is not None)
    return parse.urlunsplit((parts.scheme, netloc, parts.path, text,
                             parts.fragment))


def via(url, host, port, **query):
    """``url`` sent to ``host:port`` (a proxy) instead of its hosts."""
    parts = parse.urlsplit(derive(url, **query))
    userinfo = parts.netloc.split(',')[0].rpartition('@')[0]
    netloc = '%s%s:%d' % (userinfo + '@' if userinfo else '', host, port)
    return parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query,
                             parts.fragment))


def zaqar_host(url):
    """``(host, port)`` of the first Zaqar host of a ``zaqar://`` URL."""
    first = parse.urlsplit(url).netloc.split(',')[0].rpartition('@')[2]
    host, _, port = first.rpartition(':')
    return (host, int(port)) if host else (first, 8888)


def for_credentials(url, credentials, **query):
    """The zaqar:// ``url`` as tempest ``credentials`` (keystone v3).

    The project is named by id, so the URL's ``project_name`` and
    ``project_domain_name`` go; the user's domain is the credentials'.
    """
    params = dict(project_name=None, project_domain_name=None,
                  project_id=credentials.project_id)
    domain = getattr(credentials, 'user_domain_name', None)
    if domain:
        params['user_domain_name'] = domain
    params.update(query)
    return derive(url, credentials.username, credentials.password,
                  **params)
