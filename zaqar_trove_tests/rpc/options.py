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

"""Options of the ``zaqar://`` driver, group ``[oslo_messaging_zaqar]``.

Every option may be overridden by a query parameter of the transport URL
with the same name (``auth`` is accepted for ``auth_mode``); the URL's
user and password override ``username`` and ``password``. The keystone
options are keystoneauth's ``password`` plugin and session options
(``cafile``/``certfile``/``keyfile``/``insecure`` apply to Zaqar's TLS
too).
"""

import copy
import importlib

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = 'oslo_messaging_zaqar'

zaqar_group = cfg.OptGroup(GROUP, title='zaqar:// driver options',
                           help='The oslo.messaging transport over Zaqar.')

AUTH_MODES = ('keystone', 'token', 'signed', 'noauth')

DRIVER_OPTS = [
    cfg.StrOpt('auth_mode', default='keystone', choices=AUTH_MODES,
               help='How the driver authenticates to Zaqar: keystone '
                    '(password options below, token re-fetched before it '
                    'expires), token (an existing token and project_id, '
                    'never refreshed), signed (only pre-signed URLs from '
                    'signed_urls_file: for guests without credentials; '
                    'polls), noauth (X-Project-ID = project_id; for a '
                    'Zaqar without auth_strategy, development only).'),
    cfg.StrOpt('token', secret=True,
               help='auth_mode=token: the token sent as X-Auth-Token.'),
    cfg.StrOpt('signed_urls_file',
               help='auth_mode=signed: a JSON file with a list of Zaqar '
                    'pre-signed URL bodies (the answers of POST '
                    '/v2/queues/{name}/share: paths, methods, project, '
                    'expires, signature); each grants the queue named in '
                    'its paths. Re-read when it changes.'),
    cfg.ListOpt('websocket_url', default=[],
                help='Zaqar websocket endpoint(s), ws:// or wss://. '
                     'Several spread drivers over the servers: each driver '
                     'starts at one chosen uniformly at random, then fails '
                     'over along the list in order. Enables push '
                     'delivery.'),
    cfg.StrOpt('delivery', default='auto', choices=('auto', 'push', 'poll'),
               help='push: websocket subscriptions wake the consumers; '
                    'poll: adaptive HTTP polling; auto: push when a '
                    'websocket_url is set and auth_mode is not signed.'),
    cfg.StrOpt('queue_prefix', default='om', regex='^[a-z0-9]{1,16}$',
               help='Prefix of every queue this driver names (1-16 of '
                    'a-z0-9); deployments sharing a project must share it.'),
    cfg.IntOpt('max_message_size', default=262144, min=1024,
               help="Zaqar's [transport] max_messages_post_size: a larger "
                    'request raises MessageDeliveryFailure before sending.'),
    cfg.IntOpt('message_ttl', default=3600, min=60,
               help='TTL (s) of casts and notifications; calls use their '
                    'timeout (at least 60 s, Zaqar\'s minimum).'),
    cfg.IntOpt('fanout_ttl', default=60, min=60,
               help='TTL (s) of fanout messages (and how long a fanout '
                    'reader remembers what it has seen, plus 120 s).'),
    cfg.IntOpt('reply_ttl', default=60, min=60,
               help='TTL (s) of replies and heartbeats.'),
    cfg.FloatOpt('poll_min_interval', default=0.005, min=0.001,
                 help='Polling: first pause (s) after an empty poll; it '
                      'doubles while idle.'),
    cfg.FloatOpt('poll_max_interval', default=1.0, min=0.01,
                 help='Polling: longest pause (s) between polls of an '
                      'idle queue (the latency of a first message); '
                      'fanout queues are polled this often.'),
    cfg.FloatOpt('poll_hot_window', default=1.0, min=0.0,
                 help='Polling: for this long (s) after a message (or a '
                      'call) queues are polled every poll_min_interval '
                      'before the pauses start growing.'),
    cfg.FloatOpt('push_safety_interval', default=600.0, min=1.0,
                 help='Push: an idle consumer still reads its queues about '
                      'this often (s, +-25 %) in case a push was lost while '
                      'the websocket stayed up (a reconnection always '
                      'reads); a message found so, unannounced for 2 s, '
                      'makes every consumer of the driver poll for 60 s '
                      '(pushes lag). Each read costs Zaqar a request per '
                      'queue: with 1000 guests, 10 s means 300 requests/s.'),
    cfg.FloatOpt('push_grace', default=1.0, min=0.0,
                 help='Push: when a pushed message is not found, keep '
                      'reading the queue for this long (s) with pauses '
                      'tripling from poll_min_interval (Zaqar pushes '
                      'before it stores; a competitor may have taken it).'),
    cfg.IntOpt('push_subscription_ttl', default=86400, min=120,
               help='TTL (s) of websocket subscriptions; the driver '
                    'reconnects and re-subscribes after half of it (and '
                    'whenever Zaqar closes the connection, e.g. when the '
                    'token expires). A consumer that dies leaves its '
                    'subscriptions until they expire.'),
    cfg.FloatOpt('push_ping_interval', default=20.0, min=1.0,
                 help='Websocket ping interval (s) to detect dead links.'),
    cfg.BoolOpt('push_requests', default=True,
                help='Push: claims and deletes go over the open websocket '
                     "(Zaqar's websocket server spends ~1.3 ms of CPU on "
                     'one where its API spends ~4 ms on an HTTP request); '
                     'over HTTP while the websocket is down or when it '
                     'fails one. False: always HTTP.'),
    cfg.FloatOpt('claim_yield', default=0.1, min=0.0, max=5.0,
                 help='Fair dispatch among the servers of a topic. A '
                      'server that took a message from a topic it has '
                      'seen other servers take from in the last minute '
                      '(or, in its first moments there, has not yet '
                      'seen it is alone) claims there again only after '
                      'this long (s), so that consecutive requests go to '
                      'different servers rather than to the fastest; not '
                      'while a backlog shows every server busy. The '
                      'others may all yield: meanwhile a pushed server '
                      'claims what waited 20 ms unclaimed, a polling RPC '
                      'server reads every 20 ms. 0: claim at once.'),
    cfg.FloatOpt('http_timeout', default=10.0, min=0.1,
                 help='Timeout (s) of one HTTP request to Zaqar.'),
    cfg.FloatOpt('http_idle_timeout', default=1.5, min=0.0,
                 help='Keep-alive connections idle longer (s) are closed '
                      'rather than reused (below the server keep-alive).'),
    cfg.FloatOpt('retry_interval', default=0.2, min=0.01,
                 help='First pause (s) before retrying an unreachable '
                      'Zaqar; it doubles up to max_retry_interval.'),
    cfg.FloatOpt('max_retry_interval', default=10.0, min=0.1,
                 help='Longest pause (s) between retries and listener '
                      'reconnects.'),
    cfg.IntOpt('reply_grant_margin', default=10, min=1, max=300,
               help='Each call carries a pre-signed POST grant of the '
                    "caller's reply queue, so that its server can answer "
                    'without credentials of the caller (servers never '
                    'answer with their own). The grant expires between '
                    'this many seconds and twice that after the call\'s '
                    'deadline (calls ending within the same interval share '
                    'one): it must cover the clock skew between callers and '
                    'Zaqar. Zaqar needs [signed_url] secret_key.'),
    cfg.FloatOpt('pool_refresh_interval', default=5.0, min=0.0,
                 help='How long (s) a notifier caches the list of listener '
                      'pools of a notification queue; the first listener '
                      'of a new pool waits this long when it starts, so '
                      'that every notifier sees the pool.'),
    cfg.BoolOpt('cleanup_server_queues', default=True,
                help="An RPC server's cleanup deletes its server-specific "
                     'queue (topic and fanout queues are shared and stay).'),
]


def _keystone_opts():
    opts = (ks_loading.get_auth_plugin_conf_options('password') +
            [o for o in ks_loading.get_session_conf_options()
             if o.dest in ('cafile', 'certfile', 'keyfile', 'insecure')])
    for opt in opts:
        # Only auth_mode=keystone needs them (settings.check_auth says so);
        # a required option would break parsing every other deployment.
        opt.required = False
    return opts


_KS_OPTS = _keystone_opts()

#: URL query aliases: the name in the URL -> the option it overrides.
QUERY_ALIASES = {'auth': 'auth_mode'}


def all_opts():
    return DRIVER_OPTS + _KS_OPTS


def register_opts(conf):
    """Register the group on ``conf``; tolerate options already there."""
    conf.register_group(zaqar_group)
    for opt in all_opts():
        try:
            conf.register_opt(opt, group=zaqar_group)
        except cfg.DuplicateOptError:
            pass


def list_opts():
    """``oslo.config.opts`` entry point: ``[(group, opts)]``."""
    return [(zaqar_group, copy.deepcopy(all_opts()))]


_GLOBAL_ONLY = (('oslo_messaging._metrics.client', 'oslo_messaging_metrics'),
                ('oslo_messaging._tracing.client', 'oslo_messaging_tracing'))


def register_global_only_opts(conf):
    """Register on ``conf`` the groups oslo puts on ``cfg.CONF`` only.

    oslo.messaging 18.3 registers ``[oslo_messaging_metrics]`` and
    ``[oslo_messaging_tracing]`` at import time on ``cfg.CONF``, but RPC
    clients read them from their transport's ``conf``: with a private
    ``ConfigOpts`` every ``call()`` fails with ``NoSuchOptError``. The
    driver calls this on the ``conf`` it is given; call it yourself for
    another driver (``rabbit://``) on a private ``ConfigOpts``.
    """
    if conf is cfg.CONF:
        return
    for module, group in _GLOBAL_ONLY:
        try:
            opts = getattr(importlib.import_module(module), group)
        except (ImportError, AttributeError):
            continue
        for opt in opts:
            try:
                conf.register_opt(opt, group=group)
            except cfg.DuplicateOptError:
                pass
