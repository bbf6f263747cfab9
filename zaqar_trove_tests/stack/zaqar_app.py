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

"""Zaqar's configuration for our servers: our files, never /etc/zaqar.

Also applies the patches of the variants ``[zaqar_trove_tests] variants``
names (``variants``).
"""

import os

from oslo_config import cfg
from oslo_log import log

from zaqar_trove_tests.stack import variants


def load_conf(prog):
    """Parse ``$ZTT_ZAQAR_CONFIG`` (files joined by os.pathsep)."""
    files = os.environ['ZTT_ZAQAR_CONFIG'].split(os.pathsep)
    conf = cfg.CONF
    log.register_options(conf)
    conf.register_opts([cfg.ListOpt('variants', default=[])],
                       group=variants.SECTION)
    conf(args=[], project='zaqar', prog=prog, default_config_files=files,
         default_config_dirs=[])
    log.setup(conf, 'zaqar')
    names = conf[variants.SECTION].variants
    if variants.patches(names):
        # Imported only here: the patches import Zaqar's notifier.
        from zaqar_trove_tests.stack import zaqar_patches
        zaqar_patches.apply(variants.patches(names))
    return conf
