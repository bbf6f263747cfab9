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
"Findings". A test reaches the failing assertion through ``expect``:
the test then reports an expected failure (with the finding's reason),
and an unexpected success - a failure of the run - once Zaqar is fixed,
so the entry can be removed.
"""

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
}


def expect(test, finding, assertion, *args, **kwargs):
    """Run ``assertion``; its failure is the known defect ``finding``."""
    test.expectFailure('Known defect [%s]: %s' % (finding, FINDINGS[finding]),
                       assertion, *args, **kwargs)
