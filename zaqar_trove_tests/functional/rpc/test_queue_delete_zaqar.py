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

"""Deleting a queue frees its Redis keys (a real, local Zaqar and Redis).

The soak deletes every departed guest's queues (``delete_server_queues``)
and judges Redis's memory over an hour, so what a deleted queue leaves in
Redis grows with guest churn. Known defect ``queue-delete-leaks-keys``.
"""

import uuid

import redis

from zaqar_trove_tests.common import defects
from zaqar_trove_tests.functional.rpc import local_zaqar


class TestQueueDeleteFreesRedis(local_zaqar.ClientTestCase):

    def setUp(self):
        super().setUp()
        self.project = self.settings.project_id
        self.redis = redis.Redis('127.0.0.1', self.zaqar.redis_port)
        self.addCleanup(self.redis.close)

    def _keys(self, queue):
        """The queue's Redis keys, with the project and queue made plain."""
        return sorted(key.decode().replace(self.project, 'P').replace(
            queue, 'Q') for key in self.redis.scan_iter('*%s*' % queue))

    def test_deleted_queue_leaves_no_key(self):
        queue = 'zt-gone-' + uuid.uuid4().hex[:8]
        self.client.ensure_queue(queue)
        self.client.post(queue, self.client.encode_post([{'n': 1}], 60))
        claimed = self.client.claim(queue)
        self.assertEqual(1, len(claimed), claimed)
        self.client.delete(queue, [m['id'] for m in claimed])
        self.assertNotEqual([], self._keys(queue))
        self.client.delete_queue(queue)
        defects.expect(self, 'queue-delete-leaks-keys', self._keys(queue),
                       correct=[],
                       symptom=['P.Q.claims', 'P.Q.rank_counter'])
