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


"""Deleting claimed messages against a real (local) Zaqar."""

import signal
import subprocess
import sys
import time
import uuid


from zaqar_trove_tests.common import waiters
from zaqar_trove_tests.functional.rpc import local_zaqar
from zaqar_trove_tests.rpc import deleter
from zaqar_trove_tests.rpc import httpclient


class TestDeleteAgainstZaqar(local_zaqar.ClientTestCase):
    """Against a real (local) Zaqar."""

    def setUp(self):
        super().setUp()
        self.queue = 'zt-del-' + uuid.uuid4().hex[:8]
        self.client.ensure_queue(self.queue)

    def _post(self, count):
        for start in range(0, count, 10):
            self.client.post(self.queue, self.client.encode_post(
                [{'n': i} for i in range(start, min(count, start + 10))],
                60))

    def _total(self):
        """Messages in the queue, claimed ones included."""
        _, stats = self.client.request('GET', self.queue, '/stats')
        return stats['messages']['total']

    def test_delete_several_ids_in_one_request(self):
        # Regression: the ids were sent comma-encoded (%2C) and Zaqar
        # deleted nothing as soon as there were two.
        self._post(3)
        claimed = self.client.claim(self.queue, 2)
        self.client.delete(self.queue, [m['id'] for m in claimed])
        self.assertEqual(1, self._total())

    def test_background_deletes_in_batches(self):
        self._post(45)
        the_deleter = deleter.Deleter(self.client, self.settings)
        self.addCleanup(the_deleter.stop)
        expires = time.monotonic() + httpclient.CLAIM_TTL
        for _ in range(3):
            claimed = self.client.claim(self.queue, 15)
            the_deleter.add(self.queue, [m['id'] for m in claimed], expires)
        self.assertTrue(the_deleter.flush(30))
        self.assertEqual(0, self._total())

    def test_a_sent_delete_survives_its_sender_killed_at_once(self):
        # The delete is written before the messages are dispatched: a
        # server SIGKILLed right after still removed them (as rabbit's
        # acknowledgement does), so no other server runs them later.
        self._post(3)
        child = subprocess.run(
            [sys.executable, '-c', _KILLED_SENDER, str(self.zaqar.http_port),
             self.settings.project_id, self.queue],
            capture_output=True, timeout=60)
        self.assertEqual(-signal.SIGKILL, child.returncode, child.stderr)
        self.assertEqual(b'claimed 2\n', child.stdout)
        waiters.wait_until(lambda: self._total() == 1, 10, interval=0.05,
                           what='the two claimed messages deleted')


_KILLED_SENDER = '''
import os, signal, sys, time, uuid
from zaqar_trove_tests.rpc import auth, deleter, httpclient
from zaqar_trove_tests.unit.rpc import fakes
port, project, queue = sys.argv[1:]
settings = fakes.make_settings(int(port), project_id=project)
client = httpclient.ZaqarClient(settings, auth.make(settings),
                                str(uuid.uuid4()))
claimed = client.claim(queue, 2)
print('claimed', len(claimed), flush=True)
deleter.Deleter(client, settings).add(
    queue, [m['id'] for m in claimed], time.monotonic() + 60)
os.kill(os.getpid(), signal.SIGKILL)
'''
