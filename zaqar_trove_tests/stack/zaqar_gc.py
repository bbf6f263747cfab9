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

"""Zaqar's garbage collection for a redis message store, as it should run.

Zaqar's redis store leaves expired claims in each queue's claims set
until an operator's job collects them (Zaqar: run ``zaqar-gc`` from
cron). But ``zaqar-gc`` calls ``gc()`` on the storage pipeline, which
inherits the base class's no-op, so it never reaches the redis driver
and the sets grow by one entry per claim for ever (README Findings:
``zaqar-gc-noop``). ``python -m zaqar_trove_tests.stack.zaqar_gc
--config-file zaqar.conf [--config-dir DIR]`` calls the data driver's
own ``gc()``; the soak runs it every minute, as an operator's cron would.
"""

import sys


def main(argv=None):
    from oslo_config import cfg
    from zaqar import bootstrap

    conf = cfg.CONF
    conf(args=sys.argv[1:] if argv is None else argv, project='zaqar',
         prog='zaqar-gc')
    storage = bootstrap.Bootstrap(conf).storage
    # The pipeline wraps the data driver; only the latter collects.
    getattr(storage, '_storage', storage).gc()


if __name__ == '__main__':
    main()
