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

"""Errors of the Zaqar client layer (the driver maps them to oslo's).

Texts name the operation, the queue and Zaqar's answer, never a header,
token, password or signature.
"""


class ZaqarError(Exception):
    """Base class."""


class Unreachable(ZaqarError):
    """No Zaqar (or keystone) host answered, or answered 5xx: retryable.

    ``sent``: the request reached Zaqar and may have taken effect (a 5xx
    answer, or no answer after it was written): a post repeated now may
    store its messages twice.
    """

    def __init__(self, message, sent=False):
        super().__init__(message)
        self.sent = sent


class Rejected(ZaqarError):
    """Zaqar answered 4xx: retrying the same request cannot help."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class AuthFailed(Rejected):
    """Authentication was refused (also after fetching a new token)."""


class NoGrant(Rejected):
    """auth_mode=signed and no signed URL grants this method on a queue."""


class TooLarge(Rejected):
    """The request is larger than max_message_size; nothing was sent."""


def for_status(status, what, reason=''):
    """The error of a non-2xx answer ``status`` to ``what``.

    One mapping for the HTTP and the websocket API: 5xx is retryable (and
    the request may have taken effect), 401/403 a refused authentication,
    any other status a refusal.
    """
    if status >= 500:
        return Unreachable('%s: Zaqar answered %d%s' % (what, status, reason),
                           sent=True)
    if status in (401, 403):
        return AuthFailed('%s: refused (%d)%s' % (what, status, reason),
                          status)
    return Rejected('%s: Zaqar answered %d%s' % (what, status, reason),
                    status)
