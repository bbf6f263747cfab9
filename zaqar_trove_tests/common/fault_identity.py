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


"""Tokens for the identity faults: short-lived, revoked, in a URL."""

import datetime
import time
from urllib import parse

from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils

from zaqar_trove_tests.common import rpc_urls

#: Query parameters of keystone auth, meaningless with ``auth_mode=token``.
_KEYSTONE_QUERY = ('auth_url', 'project_name', 'project_id',
                   'project_domain_name', 'project_domain_id',
                   'user_domain_name', 'user_domain_id')


def short_lived_token(manager, cleanup, lifetime):
    """A token of ``manager``'s user and project that dies in ``lifetime`` s.

    Keystone caps a token's expiry at its application credential's
    ``expires_at``: the token comes from one that lives ``lifetime`` s.

    :returns: ``(token, monotonic time of its expiry)``.
    """
    creds = manager.credentials
    client = manager.application_credentials_client
    now = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, microsecond=0)
    expires = now + datetime.timedelta(seconds=lifetime)
    app_cred = client.create_application_credential(
        creds.user_id, name=data_utils.rand_name('ztt-short-lived'),
        expires_at=expires.isoformat())['application_credential']
    cleanup(test_utils.call_and_ignore_notfound_exc,
            client.delete_application_credential, creds.user_id,
            app_cred['id'])
    token = manager.token_v3_client.get_token(
        app_cred_id=app_cred['id'], app_cred_secret=app_cred['secret'])
    left = (expires - datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None)).total_seconds()
    return token, time.monotonic() + left


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
