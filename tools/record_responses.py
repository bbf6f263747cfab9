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

"""Record real Zaqar responses for the client and schema unit tests.

Runs every client method of ``zaqar_trove_tests.services`` (REST and
websocket) against a real Zaqar and writes each exchange - the call, the
request the client sent, the response Zaqar gave - to
``zaqar_trove_tests/unit/services/recordings/``.

Without arguments it starts its own Zaqar on 127.0.0.1 (redis-server, the
Zaqar WSGI and websocket servers, no auth, admin mode, all in a temp
directory) and stops it afterwards. With ``--tempest-conf`` it records
against the Zaqar with keystone that this tempest.conf describes (e.g.
the one ``zaqar-trove-tests stack up`` writes): a member token (the user
of ``[zaqar_trove] zaqar_transport_url``) for the calls, the admin of
``[auth]`` for the admin ones, endpoints from the catalog. That adds the
authentication recordings; their files get a ``_keystone`` suffix and
tokens are never written.

    python tools/record_responses.py
    python tools/record_responses.py --tempest-conf S/tempest/etc/tempest.conf
"""

import argparse
import configparser
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from urllib import parse
import uuid

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import urllib3

from tempest.lib import exceptions

from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import messaging
from zaqar_trove_tests.services.messaging import base
from zaqar_trove_tests.services import websocket

OUT_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'zaqar_trove_tests', 'unit', 'services',
    'recordings')
SECRET = 'record-responses-secret'
DROPPED_RESPONSE_HEADERS = {'status', 'content-location', 'date', 'server',
                            'content-length', 'connection',
                            'x-openstack-request-id'}
KEPT_REQUEST_HEADERS = {'content-type', 'accept', 'client-id',
                        'x-project-id', 'url-signature', 'url-expires',
                        'url-methods', 'url-paths'}


# -- a local Zaqar --------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


ZAQAR_CONF = """[DEFAULT]
auth_strategy =
admin_mode = true
[drivers]
transport = {transport}
message_store = redis
management_store = sqlalchemy
[drivers:message_store:redis]
uri = redis://127.0.0.1:{redis_port}
[drivers:management_store:sqlalchemy]
uri = sqlite:///{state}/zaqar.sqlite
[drivers:transport:wsgi]
bind = 127.0.0.1
port = {wsgi_port}
[drivers:transport:websocket]
bind = 127.0.0.1
port = {ws_port}
notification_bind = 127.0.0.1
notification_port = {notification_port}
[signed_url]
secret_key = {secret}
[storage]
message_pipeline = zaqar.notification.notifier
"""


class LocalZaqar:
    """redis + Zaqar WSGI + Zaqar websocket on free loopback ports."""

    def __init__(self):
        self.state = tempfile.mkdtemp(prefix='ztt-record-')
        self.ports = {name: free_port() for name in
                      ('redis_port', 'wsgi_port', 'ws_port',
                       'notification_port')}
        self.procs = []
        self.url = 'http://127.0.0.1:%(wsgi_port)d' % self.ports
        self.ws_url = 'ws://127.0.0.1:%(ws_port)d' % self.ports

    def _spawn(self, name, argv):
        log = open(os.path.join(self.state, name + '.log'), 'wb')
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def _wait_port(self, name, proc, port, deadline=30):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if proc.poll() is not None:
                break
            with contextlib.suppress(OSError), socket.create_connection(
                    ('127.0.0.1', port), timeout=0.5):
                return
            time.sleep(0.1)
        with open(os.path.join(self.state, name + '.log')) as log:
            tail = log.read()[-2000:]
        raise RuntimeError('%s did not listen on %d:\n%s' % (name, port, tail))

    def start(self):
        redis = shutil.which('redis-server')
        if not redis:
            raise RuntimeError('redis-server missing: apt-get install '
                               'redis-server')
        proc = self._spawn('redis', [
            redis, '--port', str(self.ports['redis_port']), '--bind',
            '127.0.0.1', '--dir', self.state, '--save', '', '--appendonly',
            'no'])
        self._wait_port('redis', proc, self.ports['redis_port'])
        import sqlalchemy
        from zaqar.storage.sqlalchemy import tables
        engine = sqlalchemy.create_engine(
            'sqlite:///%s/zaqar.sqlite' % self.state)
        tables.metadata.create_all(engine)
        engine.dispose()
        server = os.path.join(os.path.dirname(sys.executable), 'zaqar-server')
        for transport, port in (('wsgi', 'wsgi_port'), ('websocket',
                                                        'ws_port')):
            conf = os.path.join(self.state, transport + '.conf')
            with open(conf, 'w') as f:
                f.write(ZAQAR_CONF.format(transport=transport,
                                          state=self.state, secret=SECRET,
                                          **self.ports))
            proc = self._spawn(transport, [server, '--config-file', conf])
            self._wait_port(transport, proc, self.ports[port])
        return self

    def stop(self):
        for name, proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        shutil.rmtree(self.state, ignore_errors=True)


# -- a Zaqar with keystone -------------------------------------------------

class KeystoneIdentity:
    """Tokens and endpoints for the cloud a tempest.conf describes."""

    def __init__(self, conf_path):
        conf = configparser.ConfigParser()
        conf.read(conf_path)
        auth_url = conf['identity']['uri_v3']
        self.region = conf['identity'].get('region') or None
        domain = conf['auth'].get('admin_domain_name', 'Default')
        self.admin = ks_session.Session(auth=v3.Password(
            auth_url=auth_url, username=conf['auth']['admin_username'],
            password=conf['auth']['admin_password'],
            project_name=conf['auth']['admin_project_name'],
            user_domain_name=domain, project_domain_name=domain))
        url = parse.urlsplit(conf['zaqar_trove']['zaqar_transport_url'])
        query = dict(parse.parse_qsl(url.query))
        self.member = ks_session.Session(auth=v3.Password(
            auth_url=auth_url, username=parse.unquote(url.username),
            password=parse.unquote(url.password),
            project_name=query['project_name'],
            user_domain_name=query.get('user_domain_name', domain),
            project_domain_name=query.get('project_domain_name', domain)))

    def endpoint(self, service_type):
        return self.admin.get_endpoint(service_type=service_type,
                                       interface='public',
                                       region_name=self.region)


# -- recording ------------------------------------------------------------

def _json_or_text(data):
    if not data:
        return None
    if isinstance(data, bytes):
        data = data.decode('utf-8')
    try:
        return json.loads(data)
    except ValueError:
        return data


class Recorder:
    """Calls client methods and keeps what went over the wire."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.rest = {}
        self.ws = {}
        self.failures = []

    def client(self, cls, provider, **kwargs):
        recorder = self

        class Recording(cls):
            def raw_request(self, url, method, headers=None, body=None,
                            **kw):
                resp, resp_body = super().raw_request(
                    url, method, headers=headers, body=body, **kw)
                recorder.last_http = {
                    'request': {
                        'method': method,
                        'path': url[len(recorder.base_url):],
                        'headers': {k: v for k, v in (headers or {}).items()
                                    if k.lower() in KEPT_REQUEST_HEADERS},
                        'body': _json_or_text(body),
                    },
                    'response': {
                        'status': resp.status,
                        'headers': {k: v for k, v in resp.items()
                                    if k not in DROPPED_RESPONSE_HEADERS},
                        'body': _json_or_text(resp_body),
                    },
                }
                return resp, resp_body

        Recording.__name__ = cls.__name__
        return auth.build_client(Recording, provider, **kwargs)

    def call(self, group, name, client, method, **kwargs):
        """Record ``client.method(**kwargs)`` as ``name`` in ``group``."""
        self.last_http = None
        error = result = None
        try:
            result = getattr(client, method)(**kwargs)
        except exceptions.TempestException as exc:
            error = exc
        if self.last_http is None:
            raise RuntimeError('%s: no HTTP exchange' % name)
        entry = dict(name=name, client=type(client).__name__, method=method,
                     kwargs=kwargs, client_id=client.client_id,
                     raises=None if error is None else type(error).__name__,
                     **self.last_http)
        self.rest.setdefault(group, []).append(entry)
        if isinstance(error, (exceptions.InvalidHTTPResponseBody,
                              exceptions.InvalidHTTPResponseHeader,
                              exceptions.InvalidHttpSuccessCode)):
            self.failures.append('%s: %s' % (name, error))
        print('%-40s %s %s' % (name, self.last_http['response']['status'],
                               entry['raises'] or ''))
        return result if error is None else error

    def ws_call(self, group, name, client, method, *args, **kwargs):
        """Record one websocket helper call (or ``send``)."""
        sent, frames = [], []
        original_ws_send, original_send = client._ws.send, client.send

        def capture(payload, *a, **kw):
            sent.append(json.loads(payload))
            return original_ws_send(payload, *a, **kw)

        def capture_frame(*a, **kw):
            frames.append(original_send(*a, **kw))
            return frames[-1]

        client._ws.send, client.send = capture, capture_frame
        error = result = None
        try:
            result = getattr(client, method)(*args, **kwargs)
        except exceptions.TempestException as exc:
            error = exc
        finally:
            del client._ws.send, client.send
        frame = frames[0] if frames else None
        payload = sent[0] if sent else None
        if payload:
            payload['headers'].pop('X-Auth-Token', None)
        if frame and 'X-Auth-Token' in frame['request'].get('headers', {}):
            frame['request']['headers']['X-Auth-Token'] = 'REDACTED'
        if method == 'authenticate':
            args = ('REDACTED',) + tuple(args[1:])
        entry = dict(name=name, method=method, args=list(args),
                     kwargs=kwargs, client_id=client.client_id,
                     raises=None if error is None else type(error).__name__,
                     request=payload, response=frame)
        self.ws.setdefault(group, []).append(entry)
        if isinstance(error, (exceptions.InvalidHTTPResponseBody,
                              exceptions.InvalidHttpSuccessCode)):
            self.failures.append('%s: %s' % (name, error))
        status = frame['headers']['status'] if frame else '-'
        print('ws %-37s %s %s' % (name, status, entry['raises'] or ''))
        return result if error is None else error

    def notification(self, group, name, frame):
        self.ws.setdefault(group, []).append(
            dict(name=name, method='receive', notification=frame))

    def write(self, suffix=''):
        os.makedirs(OUT_DIR, exist_ok=True)
        for kind, groups in (('rest', self.rest), ('ws', self.ws)):
            for group, entries in groups.items():
                path = os.path.join(OUT_DIR, '%s_%s%s.json' % (
                    kind, group, suffix))
                with open(path, 'w') as f:
                    json.dump(entries, f, indent=1, sort_keys=True)
                    f.write('\n')
                print('wrote %s (%d)' % (os.path.relpath(path), len(entries)))


# -- the scenario -------------------------------------------------------

def record_rest(rec, provider, admin_provider, project_id, keystone=False):
    """Every REST client method, successes and the usual refusals."""
    def client(cls, prov=provider):
        return rec.client(cls, prov, x_project_id=project_id)

    queues = client(messaging.QueuesClient)
    msgs = client(messaging.MessagesClient)
    claims = client(messaging.ClaimsClient)
    shares = client(messaging.SharesClient)
    subs = client(messaging.SubscriptionsClient)
    health = client(messaging.HealthClient)
    q = 'rec-%s' % uuid.uuid4().hex[:8]
    other = q + '.other'

    rec.call('queues', 'create_queue_201', queues, 'create_queue',
             queue_name=q, metadata={'color': 'blue',
                                     '_default_message_ttl': 300})
    rec.call('queues', 'create_queue_204', queues, 'create_queue',
             queue_name=q)
    rec.call('queues', 'create_queue_no_metadata', queues, 'create_queue',
             queue_name=other)
    rec.call('queues', 'create_queue_bad_name_400', queues, 'create_queue',
             queue_name='bad name')
    rec.call('queues', 'list_queues', queues, 'list_queues')
    rec.call('queues', 'list_queues_detailed', queues, 'list_queues',
             limit=1, detailed=True, with_count=True)
    rec.call('queues', 'list_queues_marker', queues, 'list_queues',
             marker=q, limit=10)
    rec.call('queues', 'show_queue', queues, 'show_queue', queue_name=q)
    rec.call('queues', 'show_queue_unknown', queues, 'show_queue',
             queue_name=q + '-unknown')
    rec.call('queues', 'update_queue', queues, 'update_queue', queue_name=q,
             changes=[{'op': 'add', 'path': '/metadata/size', 'value': 3},
                      {'op': 'replace', 'path': '/metadata/color',
                       'value': 'red'}])
    rec.call('queues', 'update_queue_conflict_409', queues, 'update_queue',
             queue_name=q, changes=[{'op': 'remove',
                                     'path': '/metadata/absent'}])
    rec.call('queues', 'show_queue_stats_empty', queues, 'show_queue_stats',
             queue_name=q)

    posted = rec.call('messages', 'post_messages', msgs, 'post_messages',
                      queue_name=q, messages=[
                          {'body': {'event': 'one', 'n': 1}, 'ttl': 120},
                          {'body': 'two'},
                          {'body': [3, 'three'], 'ttl': 600}])
    ids = [href.rsplit('/', 1)[1] for href in posted['resources']]
    rec.call('messages', 'post_messages_empty_400', msgs, 'post_messages',
             queue_name=q, messages=[])
    rec.call('queues', 'show_queue_stats', queues, 'show_queue_stats',
             queue_name=q)
    rec.call('messages', 'list_messages_own_hidden', msgs, 'list_messages',
             queue_name=q)
    rec.call('messages', 'list_messages_echo', msgs, 'list_messages',
             queue_name=q, echo=True, limit=2)
    rec.call('messages', 'list_messages_marker', msgs, 'list_messages',
             queue_name=q, echo=True, marker=ids[0], include_claimed=True,
             include_delayed=False)
    rec.call('messages', 'list_messages_unknown_queue', msgs,
             'list_messages', queue_name=q + '-unknown', echo=True)
    rec.call('messages', 'show_messages', msgs, 'show_messages',
             queue_name=q, message_ids=ids[:2])
    rec.call('messages', 'show_messages_404', msgs, 'show_messages',
             queue_name=q, message_ids=[str(uuid.uuid4())])
    rec.call('messages', 'show_message', msgs, 'show_message', queue_name=q,
             message_id=ids[0])
    rec.call('messages', 'show_message_404', msgs, 'show_message',
             queue_name=q, message_id=str(uuid.uuid4()))

    claimed = rec.call('claims', 'claim_messages_201', claims,
                       'claim_messages', queue_name=q, ttl=60, grace=60,
                       limit=2)
    claim_id = base.resource_id(claimed)
    rec.call('claims', 'show_claim', claims, 'show_claim', queue_name=q,
             claim_id=claim_id)
    rec.call('queues', 'show_queue_stats_claimed', queues,
             'show_queue_stats', queue_name=q)
    rec.call('claims', 'update_claim', claims, 'update_claim', queue_name=q,
             claim_id=claim_id, ttl=120, grace=60)
    rec.call('messages', 'delete_message_claimed_403', msgs,
             'delete_message', queue_name=q, message_id=ids[0])
    rec.call('messages', 'delete_message_bad_claim_400', msgs,
             'delete_message', queue_name=q, message_id=ids[0],
             claim_id=str(uuid.uuid4()))
    rec.call('messages', 'delete_message_with_claim', msgs,
             'delete_message', queue_name=q, message_id=ids[0],
             claim_id=claim_id)
    rec.call('claims', 'release_claim', claims, 'release_claim',
             queue_name=q, claim_id=claim_id)
    rec.call('claims', 'show_claim_404', claims, 'show_claim', queue_name=q,
             claim_id=claim_id)
    rec.call('claims', 'update_claim_404', claims, 'update_claim',
             queue_name=q, claim_id=claim_id, ttl=60)
    rec.call('claims', 'claim_messages_bad_ttl_400', claims,
             'claim_messages', queue_name=q, ttl=1)
    rec.call('claims', 'claim_messages_204', claims, 'claim_messages',
             queue_name=other)
    rec.call('messages', 'delete_message', msgs, 'delete_message',
             queue_name=q, message_id=ids[1])
    rec.call('messages', 'delete_messages', msgs, 'delete_messages',
             queue_name=q, message_ids=ids[1:])
    more = rec.call('messages', 'post_messages_more', msgs, 'post_messages',
                    queue_name=q, messages=[{'body': i} for i in range(3)])
    rec.call('messages', 'pop_messages', msgs, 'pop_messages', queue_name=q,
             count=2)
    rec.call('messages', 'pop_messages_empty', msgs, 'pop_messages',
             queue_name=other, count=1)
    del more

    rec.call('shares', 'create_signed_url_default', shares,
             'create_signed_url', queue_name=q)
    signed = rec.call('shares', 'create_signed_url', shares,
                      'create_signed_url', queue_name=q,
                      paths=['messages', 'claims'], methods=['GET', 'POST'],
                      expires='2099-01-01T00:00:00')
    rec.call('shares', 'create_signed_url_bad_path_400', shares,
             'create_signed_url', queue_name=q, paths=['queues'])
    rec.call('shares', 'create_signed_url_expired_400', shares,
             'create_signed_url', queue_name=q,
             expires='2001-01-01T00:00:00')

    signed_msgs = rec.client(messaging.MessagesClient,
                             auth.signed_url(rec.base_url, signed))
    rec.call('signed', 'signed_list_messages', signed_msgs, 'list_messages',
             queue_name=q, echo=True)
    rec.call('signed', 'signed_post_messages', signed_msgs, 'post_messages',
             queue_name=q, messages=[{'body': 'signed'}])
    rec.call('signed', 'signed_other_queue_404', signed_msgs,
             'list_messages', queue_name=other)
    rec.call('signed', 'signed_wrong_method_404', signed_msgs,
             'delete_messages', queue_name=q, message_ids=[str(uuid.uuid4())])
    tampered = rec.client(messaging.MessagesClient, auth.signed_url(
        rec.base_url, signed, overrides={'URL-Methods': 'GET,POST,DELETE'}))
    rec.call('signed', 'signed_tampered_methods_404', tampered,
             'list_messages', queue_name=q)

    hook = 'http://127.0.0.1:9/hook-%s' % uuid.uuid4().hex[:6]
    created = rec.call('subscriptions', 'create_subscription', subs,
                       'create_subscription', queue_name=q, subscriber=hook,
                       ttl=3600, options={'note': 'x'})
    sub_id = created['subscription_id']
    rec.call('subscriptions', 'create_subscription_409', subs,
             'create_subscription', queue_name=q, subscriber=hook)
    rec.call('subscriptions', 'create_subscription_bad_400', subs,
             'create_subscription', queue_name=q, subscriber='nope://x')
    rec.call('subscriptions', 'list_subscriptions', subs,
             'list_subscriptions', queue_name=q)
    rec.call('subscriptions', 'list_subscriptions_empty', subs,
             'list_subscriptions', queue_name=other, limit=5)
    rec.call('subscriptions', 'show_subscription', subs, 'show_subscription',
             queue_name=q, subscription_id=sub_id)
    rec.call('subscriptions', 'update_subscription', subs,
             'update_subscription', queue_name=q, subscription_id=sub_id,
             ttl=7200, options={'note': 'y'})
    rec.call('subscriptions', 'confirm_subscription', subs,
             'confirm_subscription', queue_name=q, subscription_id=sub_id,
             confirmed=True)
    rec.call('subscriptions', 'show_subscription_confirmed', subs,
             'show_subscription', queue_name=q, subscription_id=sub_id)
    rec.call('subscriptions', 'delete_subscription', subs,
             'delete_subscription', queue_name=q, subscription_id=sub_id)
    rec.call('subscriptions', 'show_subscription_404', subs,
             'show_subscription', queue_name=q, subscription_id=sub_id)
    rec.call('subscriptions', 'confirm_subscription_404', subs,
             'confirm_subscription', queue_name=q, subscription_id=sub_id,
             confirmed=False)

    rec.call('health', 'ping', health, 'ping')
    rec.call('health', 'head_ping', health, 'head_ping')
    rec.call('health', 'show_health_forbidden_403', health, 'show_health')
    admin = rec.client(messaging.HealthClient, admin_provider,
                       x_project_id=project_id)
    rec.call('health', 'show_health', admin, 'show_health')

    patch_plain = client(messaging.QueuesClient)
    rec.call('queues', 'purge_queue', queues, 'purge_queue', queue_name=q,
             resource_types=['messages'])
    rec.call('queues', 'purge_queue_all', queues, 'purge_queue',
             queue_name=q)
    rec.call('queues', 'purge_queue_bad_400', queues, 'purge_queue',
             queue_name=q, resource_types=['claims'])
    rec.call('queues', 'delete_queue', queues, 'delete_queue', queue_name=q)
    rec.call('queues', 'delete_queue_again', queues, 'delete_queue',
             queue_name=q)
    rec.call('queues', 'update_queue_unknown_404', patch_plain,
             'update_queue', queue_name=q,
             changes=[{'op': 'add', 'path': '/metadata/a', 'value': 1}])
    rec.call('queues', 'delete_queue_other', queues, 'delete_queue',
             queue_name=other)
    if keystone:
        rec.call('auth', 'no_token_401', client(
            messaging.QueuesClient, auth.no_auth(rec.base_url)),
            'list_queues')
        rec.call('auth', 'bad_token_401', client(
            messaging.QueuesClient, auth.token(rec.base_url, 'garbage')),
            'list_queues')


def record_ws(rec, ws_url, project_id, token=None, provider=None):
    """Every websocket helper, a push subscription and its notification."""
    def call(name, client, method, *args, **kwargs):
        return rec.ws_call('actions', name, client, method, *args, **kwargs)

    q = 'recws-%s' % uuid.uuid4().hex[:8]
    with websocket.WebsocketClient(ws_url, project_id=project_id) as ws, \
            websocket.WebsocketClient(ws_url, project_id=project_id) as sub:
        if token:
            call('authenticate', ws, 'authenticate', token, project_id)
            call('authenticate_sub', sub, 'authenticate', token, project_id)
        call('queue_create', ws, 'queue_create', q,
             metadata={'color': 'blue'})
        call('queue_create_204', ws, 'queue_create', q)
        call('queue_create_bad_400', ws, 'queue_create', 'bad name')
        call('queue_list', ws, 'queue_list', limit=10, detailed=True)
        call('queue_list_plain', ws, 'queue_list')
        call('queue_get', ws, 'queue_get', q)
        call('queue_get_404', ws, 'queue_get', q + '-unknown')
        call('queue_get_stats_empty', ws, 'queue_get_stats', q)
        call('queue_get_stats_404', ws, 'queue_get_stats', q + '-unknown')
        created = call('subscription_create', sub, 'subscription_create', q,
                       ttl=3600)
        call('subscription_list', ws, 'subscription_list', q)
        call('subscription_get', ws, 'subscription_get', q,
             created['subscription_id'])
        call('subscription_get_404', ws, 'subscription_get', q,
             str(uuid.uuid4()))
        posted = call('message_post', ws, 'message_post', q,
                      [{'body': {'n': 1}, 'ttl': 300}, {'body': 'two'}])
        for n in (1, 2):
            rec.notification('notifications', 'pushed_%d' % n,
                             sub.receive_message(10))
        ids = posted['message_ids']
        call('message_post_empty_400', ws, 'message_post', q, [])
        call('queue_get_stats', ws, 'queue_get_stats', q)
        call('message_list', ws, 'message_list', q, echo=True, limit=5)
        call('message_list_own_hidden', ws, 'message_list', q)
        call('message_get', ws, 'message_get', q, ids[0])
        call('message_get_404', ws, 'message_get', q, str(uuid.uuid4()))
        call('message_get_many', ws, 'message_get_many', q, ids)
        claimed = call('claim_create', ws, 'claim_create', q, ttl=60,
                       grace=60, limit=1)
        claim_id = claimed['claim_id']
        call('claim_get', ws, 'claim_get', q, claim_id)
        call('claim_get_404', ws, 'claim_get', q, str(uuid.uuid4()))
        call('claim_update', ws, 'claim_update', q, claim_id, ttl=120)
        call('claim_update_404', ws, 'claim_update', q, str(uuid.uuid4()),
             ttl=120)
        call('message_delete_claimed_403', ws, 'message_delete', q,
             claimed['messages'][0]['id'])
        call('message_delete_with_claim', ws, 'message_delete', q,
             claimed['messages'][0]['id'], claim_id=claim_id)
        call('claim_delete', ws, 'claim_delete', q, claim_id)
        call('claim_create_bad_400', ws, 'claim_create', q, ttl=1)
        call('message_delete', ws, 'message_delete', q, ids[1])
        call('message_post_more', ws, 'message_post', q,
             [{'body': i} for i in range(3)])
        for _ in range(3):
            sub.receive_message(10)
        call('message_pop', ws, 'message_pop', q, 2)
        rest = call('message_list_rest', ws, 'message_list', q, echo=True)
        call('message_delete_many', ws, 'message_delete_many', q,
             [m['id'] for m in rest['messages']])
        call('claim_create_204', ws, 'claim_create', q)
        call('subscription_delete', ws, 'subscription_delete', q,
             created['subscription_id'])
        call('queue_purge', ws, 'queue_purge', q)
        call('queue_delete', ws, 'queue_delete', q)
        call('unknown_action_400', ws, 'send', 'no_such_action', {})
        call('schema_invalid_400', ws, 'send', 'queue_get', {})
    if token:
        with websocket.WebsocketClient(ws_url, project_id=project_id) as ws:
            call('unauthenticated_403', ws, 'queue_list')
            call('authenticate_bad_token_401', ws, 'authenticate',
                 'not-a-token', project_id)
            call('authenticate_ok', ws, 'authenticate', token, project_id)
            call('other_project_403', ws, 'send', 'queue_list', {},
                 {'X-Project-ID': 'someone-else'})
        shares = rec.client(messaging.SharesClient, provider)
        signed = shares.create_signed_url(q, paths=['messages'],
                                          methods=['GET', 'POST'])
        headers = auth.signed_url_headers(signed, for_websocket=True)
        with websocket.WebsocketClient(ws_url, headers=headers) as ws:
            call('signed_message_post', ws, 'message_post', q,
                 [{'body': 'signed'}])
            call('signed_message_list', ws, 'message_list', q, echo=True)
            call('signed_queue_list_403', ws, 'queue_list')
            call('signed_message_delete_403', ws, 'message_delete', q,
                 str(uuid.uuid4()))
            call('signed_comma_methods_403', ws, 'send', 'message_list',
                 {'queue_name': q}, auth.signed_url_headers(signed))
        rec.client(messaging.QueuesClient, provider).delete_queue(q)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tempest-conf')
    args = parser.parse_args()
    urllib3.disable_warnings()
    local = rec = None
    try:
        if args.tempest_conf:
            identity = KeystoneIdentity(args.tempest_conf)
            base_url = identity.endpoint('messaging').rstrip('/')
            ws_url = identity.endpoint('messaging-websocket')
            token = identity.member.get_token()
            project_id, suffix = identity.member.get_project_id(), '_keystone'
            provider = auth.token(base_url, token)
            admin_provider = auth.token(base_url, identity.admin.get_token())
        else:
            local = LocalZaqar().start()
            base_url, ws_url, token = local.url, local.ws_url, None
            project_id, suffix = 'recorded-project', ''
            provider = auth.no_auth(base_url)
            # Zaqar without auth takes roles from this header.
            admin_provider = auth.StaticAuthProvider(
                base_url, {'X-Roles': 'admin'})
        rec = Recorder(base_url)
        record_rest(rec, provider, admin_provider, project_id,
                    keystone=bool(token))
        record_ws(rec, ws_url, project_id, token=token, provider=provider)
        rec.write(suffix)
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if local:
            local.stop()
    if rec is None:
        return 1
    for failure in rec.failures:
        print('SCHEMA FAILURE', failure)
    return 1 if rec.failures else 0


if __name__ == '__main__':
    sys.exit(main())
