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


"""Keystone tokens made for tests: fresh, unscoped, revoked, expiring."""

import datetime

from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions

from zaqar_trove_tests.common import waiters


def fresh_token(manager, scoped=True):
    """A new token of ``manager``'s user, never used before.

    :param scoped: scoped to the user's project, or unscoped.
    """
    creds = manager.credentials
    kwargs = {'user_id': creds.user_id, 'password': creds.password}
    if scoped:
        kwargs['project_id'] = creds.project_id
    return manager.token_v3_client.get_token(**kwargs)


def is_valid(manager, token):
    """Whether keystone still validates ``token``."""
    try:
        manager.identity_v3_client.check_token_existence(token)
    except exceptions.NotFound:
        return False
    return True


def revoked_token(manager):
    """A fresh token, revoked (keystone refuses it at once)."""
    token = fresh_token(manager)
    manager.identity_v3_client.delete_token(token)
    return token


def short_lived_token(manager, cleanup, lifetime):
    """A token of ``manager``'s user that expires in ``lifetime`` s.

    Keystone caps a token's lifetime at its application credential's
    ``expires_at``: the token comes from one that lives ``lifetime`` s.
    """
    creds = manager.credentials
    client = manager.application_credentials_client
    expires = (datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, microsecond=0) + datetime.timedelta(seconds=lifetime))
    app_cred = client.create_application_credential(
        creds.user_id, name=data_utils.rand_name('ztt-short-lived'),
        expires_at=expires.isoformat())['application_credential']
    cleanup(test_utils.call_and_ignore_notfound_exc,
            client.delete_application_credential, creds.user_id,
            app_cred['id'])
    return manager.token_v3_client.get_token(
        app_cred_id=app_cred['id'], app_cred_secret=app_cred['secret'])


def expired_token(manager, cleanup, lifetime=3):
    """A token that keystone has let expire, waiting for that to happen."""
    token = short_lived_token(manager, cleanup, lifetime)
    waiters.wait_until(lambda: not is_valid(manager, token),
                       timeout=lifetime + 30, interval=0.5,
                       what='expiry of a token of lifetime %d s' % lifetime)
    return token
