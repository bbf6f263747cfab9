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

"""Patches of Zaqar the opt-in variants apply (``variants``), by name.

Applied by ``zaqar_app.load_conf`` in the Zaqar processes of a stack whose
zaqar.conf names the variant, before Zaqar builds anything. Each keeps
Zaqar's behaviour and changes only its cost, measured by the bench's
``variant`` stage (README, Findings ``zaqar-floor-variants``).
"""

import http.cookiejar
import threading

import requests
from stevedore import driver
from zaqar.notification import notifier
from zaqar.notification.tasks import webhook


class _SessionPerThread:
    """``requests.post`` over one session per thread, cookies refused.

    Stock Zaqar calls ``requests.post`` for every webhook, building a
    session (adapters, pools) each time.
    """

    def __init__(self):
        self._local = threading.local()

    def post(self, url, **kwargs):
        session = getattr(self._local, 'session', None)
        if session is None:
            session = requests.Session()
            # A subscriber must not be able to make later webhooks carry
            # state: a stock requests.post keeps no cookies either.
            session.cookies.set_policy(
                http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            self._local.session = session
        return session.post(url, **kwargs)


def notifier_reuse():
    """One task object per subscriber scheme, one session per thread."""
    tasks = {}
    lock = threading.Lock()

    def task(scheme):
        with lock:
            if scheme not in tasks:
                tasks[scheme] = driver.DriverManager(
                    'zaqar.notification.tasks', scheme,
                    invoke_on_load=True).driver
            return tasks[scheme]

    def _execute(self, s_type, subscription, messages, conf=None,
                 retry_policy=None):
        # Stock _execute, but the task comes from the cache.
        if self.subscription_controller:
            conf = self.subscription_controller.driver.conf
        self.executor.submit(task(s_type).execute, subscription, messages,
                             conf=conf, queue_retry_policy=retry_policy)

    notifier.NotifierDriver._execute = _execute
    webhook.requests = _SessionPerThread()


PATCHES = {'notifier_reuse': notifier_reuse}


def apply(names):
    for name in names:
        PATCHES[name]()
