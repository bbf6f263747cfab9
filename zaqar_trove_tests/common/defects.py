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


"""Known defects: findings the tests keep visible instead of weakening.

Each finding is listed, with its reproduction, in README.rst under
"Findings". A test hands what it observed to ``expect`` with the correct
value and the exact symptom the finding produces: the symptom is an
expected failure (with the finding's reason), the correct value an
unexpected success - a failure of the run - once Zaqar is fixed, so the
mark can be removed, and anything else a plain failure: a new regression
is never taken for the known defect.
"""

from testtools import matchers

FINDINGS = {
    'message-id-scope': (
        'Zaqar redis message store: messages are looked up by id alone '
        '(GET/DELETE /v2/queues/{q}/messages/{id} and ?ids=), so any project '
        'holding a queue of that name reads and deletes another '
        "project's messages whose ids it knows"),
    'signed-url-regex': (
        'Zaqar matches a pre-signed URL\'s paths as regular expressions '
        '(re.search), so the signature of queue "a.b" also opens "a-b", '
        '"aXb"... of the same project'),
    'websocket-signed-url-scope': (
        "Zaqar's websocket API checks a pre-signed URL's signature and "
        'method but never its paths, so it opens every queue of the '
        'project'),
    'websocket-revocation': (
        "Zaqar's websocket API checks the token once, at authenticate; "
        'the session outlives a revoked token until its expiry'),
    'include-claimed-listing': (
        'Zaqar redis message store: listing messages with '
        'include_claimed=true and no marker answers 503 (the driver passes '
        'marker=None to ZRANK), so claimed messages cannot be listed'),
    'claim-steals-claimed': (
        "Zaqar redis message store: the claim script stops checking claims "
        'after the first free message it finds, so a claim whose limit '
        'reaches past a free (released or expired) message also takes the '
        'messages behind it that another live claim still holds: two '
        'consumers own one message, and the first one\'s delete is refused'),
    'claim-ignores-delay': (
        'Zaqar redis message store: the claim script stops checking '
        'delays after the first claimable message, so a claim also takes '
        'still-delayed messages queued behind it'),
    'message-delay-ignored': (
        "Zaqar's REST API keeps a message's own \"delay\" only when the "
        'queue has _default_message_delay; on any other queue the message '
        'is claimable at once'),
    'websocket-delay-ignored': (
        "Zaqar's websocket message_post ignores both the message's "
        '"delay" and the queue\'s _default_message_delay: messages posted '
        'over the websocket are claimable at once'),
    'listing-marker-restart': (
        'Zaqar redis message store: a listing marker naming the first '
        'message of the queue (rank 0), or a message no longer in it, '
        'restarts the listing at the head of the queue, so paging one '
        'message at a time repeats the first message forever and an '
        'observer whose last-seen message was consumed sees everything '
        'again'),
    'queue-delete-leaks-keys': (
        'Zaqar redis message store: deleting a queue removes its messages '
        'and message set but leaves its rank counter and claims keys, so '
        'every deleted queue that ever held a message costs Redis two keys '
        'for ever'),
    'non-object-message-500': (
        "Zaqar's REST API answers 500 (\"string indices must be integers\") "
        'instead of 400 to a message batch holding a message that is not '
        'a JSON object'),
    'dead-letter-claimed': (
        'Zaqar redis message store: a message moved to the dead-letter '
        'queue keeps the claim of the claim request that moved it (a '
        'claim of the source queue, unknown to the dead-letter queue), so '
        'it cannot be listed or claimed there until that claim expires'),
    'stats-after-expiry': (
        'Zaqar redis message store: GET /v2/queues/{q}/stats answers 503 '
        "(KeyError 'newest') once the queue's oldest or newest message has "
        'expired, until garbage collection removes its id'),
    'trove-secure-rpc-undecryptable': (
        "Trove 26's SecureSerializer passes through what it cannot "
        'decrypt (trove/common/rpc/secure_serializer.py catches ValueError '
        'and TypeError and returns the input): a reply encrypted with '
        "another instance's key reaches trove.guestagent.api.API as the "
        'ciphertext string instead of an error, so a guest holding the '
        "wrong key answers another instance's calls (is_root_enabled "
        'returns a non-empty string, which is true)'),
}


def expect(test, finding, observed, *, correct, symptom):
    """Judge ``observed``: ``correct``, the ``finding``'s symptom, or neither.

    ``correct`` and ``symptom`` are values (compared with ``==``) or
    testtools matchers. ``observed`` matching ``correct`` is an unexpected
    success; matching ``symptom`` an expected failure carrying the
    finding's reason; anything else fails ``test`` as usual.
    """
    reason = 'Known defect [%s]: %s' % (finding, FINDINGS[finding])
    correct, symptom = _matcher(correct), _matcher(symptom)
    wrong = correct.match(observed)
    unknown = None if wrong is None else symptom.match(observed)
    if unknown is not None:
        test.fail('Neither correct nor the symptom of known defect [%s]\n'
                  'against the correct value: %s\n'
                  'against the symptom: %s' % (
                      finding, wrong.describe(), unknown.describe()))
    test.expectFailure(reason, test.assertThat, observed, correct)


def _matcher(value):
    if isinstance(value, matchers.Matcher):
        return value
    return matchers.Equals(value)
