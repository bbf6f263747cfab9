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


"""Requests on a websocket, matched to their answers.

Zaqar answers each websocket request with a frame that echoes the
request (action, headers, body), in any order with pushes. Each request
carries an id of its own in ``HEADER``; ``Pending.answer`` hands a frame
to the request it names. A request's ``finish()`` waits for its answer
and returns its body or raises as the HTTP client does; a connection
that ends fails every request still waiting (``fail_all``), and an answer
that never comes fails after the request's timeout: nothing waits for
ever, and every entry leaves the table.
"""

import threading
import uuid

from zaqar_trove_tests.rpc import errors

HEADER = 'X-Zaqar-Trove-Request'
#: Longest error text kept from Zaqar's answer.
REASON_CHARS = 200


class Request:
    """One request: its id, and its answer once it came."""

    __slots__ = ('key', 'done', 'doc', 'lost')

    def __init__(self):
        self.key = uuid.uuid4().hex
        self.done = threading.Event()
        self.doc = None
        self.lost = False


class Pending:
    """The requests of one connection still waiting for their answers.

    Thread-safe: senders add and finish requests from their threads, the
    reader hands answers in from its own.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting = {}

    def add(self):
        """A new ``Request``, awaited from now on (send its ``key``)."""
        request = Request()
        with self._lock:
            self._waiting[request.key] = request
        return request

    def forget(self, request):
        """Stop awaiting ``request`` (it could not be written)."""
        with self._lock:
            self._waiting.pop(request.key, None)

    def answer(self, doc):
        """Hand Zaqar's answer frame ``doc`` to its request.

        True when ``doc`` names one of our requests (whether or not it is
        still awaited), False for any other frame.
        """
        request = doc.get('request')
        headers = request.get('headers') if isinstance(request, dict) else None
        key = headers.get(HEADER) if isinstance(headers, dict) else None
        if not isinstance(key, str):
            return False
        with self._lock:
            waiting = self._waiting.pop(key, None)
        if waiting is not None:
            waiting.doc = doc
            waiting.done.set()
        return True

    def fail_all(self):
        """The connection ended: every awaited request fails now."""
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for request in waiting.values():
            request.lost = True
            request.done.set()

    def finish(self, request, what, timeout):
        """Wait for ``request``'s answer; its body (a dict) if 2xx.

        :raises Unreachable: no answer within ``timeout`` s, or the
            connection ended first (``sent``: it may have taken effect),
            or Zaqar answered 5xx or a frame without a status.
        :raises Rejected: Zaqar refused it (``errors.for_status``).
        """
        request.done.wait(max(0.0, timeout))
        self.forget(request)
        doc = request.doc
        if doc is None:
            raise errors.Unreachable('%s: %s' % (what, (
                'the websocket closed before the answer' if request.lost
                else 'no answer on the websocket within %s s' % timeout)),
                sent=True)
        headers = doc.get('headers')
        status = headers.get('status') if isinstance(headers, dict) else None
        body = doc.get('body')
        if not isinstance(status, int) or isinstance(status, bool):
            raise errors.Unreachable('%s: an answer without a status' % what,
                                     sent=True)
        if 200 <= status < 300:
            return body if isinstance(body, dict) else {}
        raise errors.for_status(status, what, _reason(body))


def _reason(body):
    text = None
    if isinstance(body, dict):
        text = body.get('error') or body.get('exception')
    if not isinstance(text, str) or not text:
        return ''
    return ': %s' % text[:REASON_CHARS]
