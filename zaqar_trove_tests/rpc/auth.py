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

"""How a request proves its identity to Zaqar, one class per auth_mode.

``headers(queue, method, kind)`` returns the identity headers of one
request on ``/queues/{queue}/{kind}`` (kind ``messages``, ``claims`` or
'' for the queue itself);
``invalidate()`` drops a cached token after a 401; ``expires_at()`` says
when the token in use expires (keystone only); ``project_id`` is the
project whose queues the driver uses (None for ``signed``: each grant
names its own project).

Signed grants (``auth_mode=signed``) are the JSON bodies Zaqar returns for
``POST /v2/queues/{name}/share``; the file holds a list of them (or an
object whose values are them). A grant covers the queue named in its
``paths``, for its ``methods``. ``grant_headers`` turns any grant into
request headers; callers use it for the reply grants carried by calls.
"""

import json
import logging
import os
import re
import threading

import jsonschema
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session

from zaqar_trove_tests.rpc import errors

LOG = logging.getLogger(__name__)

_GRANT_PATH = re.compile(r'/queues/([^/]+)/(?:messages|claims|subscriptions)')
_TEXT = {'type': 'string', 'maxLength': 256}
#: A pre-signed URL grant, as Zaqar answers ``POST .../share``.
GRANT_SCHEMA = {
    'type': 'object',
    'required': ['paths', 'methods', 'project', 'expires', 'signature'],
    'properties': {
        'paths': {'type': 'array', 'minItems': 1, 'maxItems': 4,
                  'items': _TEXT},
        'methods': {'type': 'array', 'minItems': 1, 'maxItems': 6,
                    'items': {'enum': ['GET', 'HEAD', 'OPTIONS', 'POST',
                                       'PUT', 'PATCH', 'DELETE']}},
        'project': _TEXT,
        'expires': {'type': 'string', 'maxLength': 64},
        'signature': {'type': 'string', 'minLength': 1, 'maxLength': 128,
                      'pattern': '^[0-9a-f]*$'},
    },
}
_GRANT_VALIDATOR = jsonschema.Draft7Validator(GRANT_SCHEMA)


def grant_headers(grant):
    """Request headers of a pre-signed URL grant (dict)."""
    return {'URL-Signature': grant['signature'],
            'URL-Expires': grant['expires'],
            'URL-Methods': ','.join(grant['methods']),
            'URL-Paths': ','.join(grant['paths']),
            'X-Project-ID': grant['project']}


def valid_grant(grant):
    """Whether ``grant`` (any value) has the shape of ``GRANT_SCHEMA``."""
    try:
        return _GRANT_VALIDATOR.is_valid(grant)
    except RecursionError:
        return False


def grant_queues(grant):
    """Names of the queues a grant's paths name."""
    return {m.group(1) for m in map(_GRANT_PATH.search, grant['paths']) if m}


class NoAuth:
    """``X-Project-ID`` only: a Zaqar without ``auth_strategy``."""

    def __init__(self, settings):
        self.project_id = settings.project_id

    def headers(self, queue=None, method=None, kind=None):
        return {'X-Project-ID': self.project_id}

    def invalidate(self):
        pass

    def expires_at(self):
        """When the token in use expires (epoch s); None: unknown."""
        return None


class TokenAuth(NoAuth):
    """An existing token, used as is (never refreshed)."""

    def __init__(self, settings):
        super().__init__(settings)
        self._token = settings.token

    def headers(self, queue=None, method=None, kind=None):
        return {'X-Auth-Token': self._token, 'X-Project-ID': self.project_id}


class KeystoneAuth:
    """keystoneauth password plugin; tokens cached and re-fetched."""

    def __init__(self, settings):
        loader = ks_loading.get_plugin_loader('password')
        values = {opt.dest: getattr(settings, opt.dest, None)
                  for opt in loader.get_options()}
        plugin = loader.load_from_options(
            **{k: v for k, v in values.items() if v is not None})
        verify = settings.cafile or not settings.insecure
        cert = ((settings.certfile, settings.keyfile)
                if settings.certfile else None)
        self._session = ks_session.Session(auth=plugin, verify=verify,
                                           cert=cert,
                                           timeout=settings.http_timeout)
        self._lock = threading.Lock()
        self._project_id = None

    def _call(self, func):
        try:
            with self._lock:
                return func()
        except (ks_exc.ConnectFailure, ks_exc.ConnectTimeout,
                ks_exc.DiscoveryFailure, ks_exc.RetriableConnectionFailure,
                ks_exc.ServiceUnavailable) as exc:
            raise errors.Unreachable('keystone unreachable: %s'
                                     % type(exc).__name__)
        except ks_exc.Unauthorized:
            raise errors.AuthFailed('keystone refused the credentials',
                                    status=401)
        except ks_exc.ClientException as exc:
            raise errors.AuthFailed('keystone error: %s'
                                    % type(exc).__name__)

    @property
    def project_id(self):
        if self._project_id is None:
            self._project_id = self._call(self._session.get_project_id)
        return self._project_id

    def headers(self, queue=None, method=None, kind=None):
        token = self._call(self._session.get_token)
        return {'X-Auth-Token': token, 'X-Project-ID': self.project_id}

    def invalidate(self):
        self._session.invalidate()

    def expires_at(self):
        """When the token in use expires (epoch s); None: none yet."""
        ref = getattr(self._session.auth, 'auth_ref', None)
        expires = getattr(ref, 'expires', None)
        return expires.timestamp() if expires is not None else None


class SignedAuth:
    """Only pre-signed URL grants from a JSON file (re-read on change)."""

    project_id = None

    def __init__(self, settings):
        self._path = settings.signed_urls_file
        self._mtime = None
        self._grants = {}
        self._lock = threading.Lock()
        self._load()

    def _load(self):
        try:
            mtime = os.stat(self._path).st_mtime_ns
            if mtime == self._mtime:
                return
            with open(self._path) as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            if self._mtime is None:
                raise errors.AuthFailed('cannot read signed_urls_file: %s'
                                        % type(exc).__name__)
            LOG.error('Keeping the previous signed URLs, cannot re-read '
                      'signed_urls_file: %s', type(exc).__name__)
            return
        if isinstance(data, dict):
            data = list(data.values())
        if not isinstance(data, list):
            LOG.warning('signed_urls_file holds no list of signed URLs')
            data = []
        grants = {}
        for grant in data:
            if not valid_grant(grant):
                LOG.warning('Ignoring a malformed signed URL entry')
                continue
            for queue in grant_queues(grant):
                grants.setdefault(queue, []).append(grant)
        self._grants, self._mtime = grants, mtime

    def queues(self):
        with self._lock:
            self._load()
            return set(self._grants)

    def grant(self, queue, method, kind='messages'):
        """A grant of ``method`` on ``/queues/{queue}/{kind}``, or None."""
        with self._lock:
            self._load()
            for grant in self._grants.get(queue, ()):
                if method in grant['methods'] and any(
                        path.endswith('/%s/%s' % (queue, kind))
                        for path in grant['paths']):
                    return grant
        return None

    def headers(self, queue=None, method=None, kind=None):
        grant = self.grant(queue, method, kind) if queue and kind else None
        if grant is None:
            raise errors.NoGrant('no signed URL grants %s on %s of queue %s'
                                 % (method, kind or 'the queue', queue))
        return grant_headers(grant)

    def invalidate(self):
        pass

    def expires_at(self):
        return None


def make(settings):
    """The auth object of ``settings.auth_mode``."""
    return {'keystone': KeystoneAuth, 'token': TokenAuth,
            'signed': SignedAuth, 'noauth': NoAuth}[settings.auth_mode](
                settings)
