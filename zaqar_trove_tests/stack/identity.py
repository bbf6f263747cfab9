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

"""Projects, users, roles and the catalog, made so through Keystone's API.

Idempotent: run on every ``up``. A cold start creates everything; a warm
start (a restored database) finds it all and only points the catalog at
the new ports.
"""

import requests

from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import errors

INTERFACES = ('public', 'internal', 'admin')
TIMEOUT = 30


class Keystone:
    """Just enough of the identity v3 API, as the bootstrap admin."""

    def __init__(self, url, password):
        self.url = url
        self.session = requests.Session()
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': configs.ADMIN_USER, 'password': password,
                'domain': {'name': configs.DOMAIN}}}},
            'scope': {'project': {'name': configs.ADMIN_PROJECT,
                                  'domain': {'name': configs.DOMAIN}}}}}
        resp = self._request('POST', '/auth/tokens', body, auth=False)
        self.session.headers['X-Auth-Token'] = resp.headers[
            'X-Subject-Token']

    def _request(self, method, path, body=None, auth=True):
        resp = self.session.request(method, self.url + path, json=body,
                                    timeout=TIMEOUT)
        if resp.status_code >= 300:
            raise errors.StackError('keystone: %s %s answered %d: %s' % (
                method, path, resp.status_code, resp.text[:500]))
        return resp

    def _one(self, collection, **filters):
        query = '&'.join('%s=%s' % kv for kv in sorted(filters.items()))
        found = self._request('GET', '/%s?%s' % (collection, query)).json()[
            collection]
        return found[0] if found else None

    def _ensure(self, collection, key, body, **filters):
        found = self._one(collection, **filters)
        if found:
            return found['id']
        return self._request('POST', '/' + collection, {key: body}).json()[
            key]['id']

    def project(self, name):
        return self._ensure('projects', 'project',
                            {'name': name, 'domain_id': 'default'},
                            name=name, domain_id='default')

    def user(self, name, password, project_id):
        return self._ensure('users', 'user',
                            {'name': name, 'password': password,
                             'domain_id': 'default',
                             'default_project_id': project_id},
                            name=name, domain_id='default')

    def role(self, name):
        return self._ensure('roles', 'role', {'name': name}, name=name)

    def grant(self, role_id, user_id, project_id):
        self._request('PUT', '/projects/%s/users/%s/roles/%s' % (
            project_id, user_id, role_id))

    def service(self, kind, name):
        return self._ensure('services', 'service',
                            {'type': kind, 'name': name, 'enabled': True},
                            type=kind)

    def endpoints(self, service_id, url, region):
        """Make the service's endpoints in region exactly url."""
        current = self._request(
            'GET', '/endpoints?service_id=%s' % service_id).json()[
                'endpoints']
        by_interface = {e['interface']: e for e in current
                        if e.get('region_id') == region}
        for interface in INTERFACES:
            endpoint = by_interface.get(interface)
            if endpoint is None:
                self._request('POST', '/endpoints', {'endpoint': {
                    'service_id': service_id, 'interface': interface,
                    'url': url, 'region_id': region, 'enabled': True}})
            elif endpoint['url'] != url:
                self._request('PATCH', '/endpoints/%s' % endpoint['id'],
                              {'endpoint': {'url': url}})


def ensure(settings):
    """Everything the stack's users and catalog need; idempotent.

    :returns: the admin token it used.
    """
    secrets = settings['secrets']
    region = settings.get('region', configs.REGION)
    ks = Keystone(configs.keystone_url(settings), secrets['admin_password'])
    role = {name: ks.role(name)
            for name in ('admin', 'member', 'reader', 'service')}
    service_project = ks.project(configs.SERVICE_PROJECT)
    zaqar = ks.user(configs.ZAQAR_USER, secrets['zaqar_password'],
                    service_project)
    # keystonemiddleware validates tokens with the service role.
    ks.grant(role['service'], zaqar, service_project)
    rpc_project = ks.project(configs.RPC_PROJECT)
    rpc = ks.user(configs.RPC_USER, secrets['rpc_password'], rpc_project)
    ks.grant(role['member'], rpc, rpc_project)
    for kind, name, url in configs.catalog(settings):
        ks.endpoints(ks.service(kind, name), url, region)
    return ks.session.headers['X-Auth-Token']
