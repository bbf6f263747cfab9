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


"""Tokens for the identity faults: revoked, in a URL."""

from urllib import parse

from zaqar_trove_tests.common.rpc import urls as rpc_urls

#: Query parameters of keystone auth, meaningless with ``auth_mode=token``.
_KEYSTONE_QUERY = ('auth_url', 'project_name', 'project_id',
                   'project_domain_name', 'project_domain_id',
                   'user_domain_name', 'user_domain_id')


def token_url(url, token, project_id):
    """The zaqar:// ``url`` with ``auth_mode=token`` (no user, no keystone).

    Hosts, path and the other parameters (``websocket_url``...) stay.
    """
    parts = parse.urlsplit(url)
    hosts = ','.join(host.rpartition('@')[2]
                     for host in parts.netloc.split(','))
    bare = parse.urlunsplit((parts.scheme, hosts, parts.path, parts.query,
                             parts.fragment))
    query = dict.fromkeys(_KEYSTONE_QUERY)
    query.update(auth_mode='token', token=token, project_id=project_id)
    return rpc_urls.derive(bare, **query)


def revoke_all_tokens(manager):
    """Revoke every token of ``manager``'s user (a password "change").

    Keystone revokes a user's tokens when the password changes; setting
    the same password keeps the credentials working for new tokens.
    """
    creds = manager.credentials
    manager.users_v3_client.update_user_password(
        creds.user_id, password=creds.password,
        original_password=creds.password)
