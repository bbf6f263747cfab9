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

"""The soak: an hour of Trove-shaped load on the local stack, accounted.

``python -m zaqar_trove_tests.soak --minutes N`` (``tox -e soak``): a
control plane (conductors, taskmanager callers, a notifier and its
listener) in this process, hundreds of push guests in a worker process
of their own (``guests``), guests leaving and joining every minute. Every
request has a key in one ledger (sent, answered, timed out, lost, run
twice); each minute the run samples latency, Redis, Zaqar's queue count
and the guests' process; ``verdict`` judges the last minutes against the
first, ``report`` writes JSON, markdown and a plot. May import ``bench``
(the stack's URLs and process meters), ``common.faults`` (the ledger),
``rpc`` and ``stack``.
"""
