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

"""Opt-in Zaqar variants: names, zaqar.conf rewrites, the notifier patch."""

import asyncio
import http.server
import threading

import fixtures
from oslo_utils import importutils
import requests
import testtools
from zaqar.notification import notifier
from zaqar.notification.tasks import webhook
from zaqar.storage import errors as storage_errors
from zaqar.transport.websocket import factory as ws_factory

from zaqar_trove_tests.stack import configs
from zaqar_trove_tests.stack import paths as stack_paths
from zaqar_trove_tests.stack import variants
from zaqar_trove_tests.stack import zaqar_patches
from zaqar_trove_tests.unit.stack import test_configs


def zaqar_conf(names):
    s = dict(test_configs.settings(), zaqar_variants=names)
    return test_configs.parse(configs.render_ini(configs.zaqar_sections(
        stack_paths.Paths('/srv/state'), s)))


class TestNames(testtools.TestCase):

    def test_sorted_without_repeats_or_blanks(self):
        self.assertEqual(['notifier-reuse', 'redis-management'],
                         variants.parse(' redis-management,,notifier-reuse,'
                                        'redis-management'))
        self.assertEqual([], variants.parse(''))
        self.assertEqual([], variants.parse(None))

    def test_unknown_name_is_refused_with_the_known_ones(self):
        exc = self.assertRaises(ValueError, variants.parse,
                                'redis-management,fast')
        self.assertIn('fast', str(exc))
        self.assertIn('notifier-reuse, redis-management', str(exc))

    def test_patches_of_names(self):
        self.assertEqual([], variants.patches(['redis-management']))
        self.assertEqual(['notifier_reuse'], variants.patches(
            ['notifier-reuse', 'redis-management']))
        for name in variants.VARIANTS:
            for patch in variants.patches([name]):
                self.assertIn(patch, zaqar_patches.PATCHES)

    def test_describe(self):
        self.assertEqual('stock Zaqar', variants.describe([]))
        self.assertIn('redis-management: ',
                      variants.describe(['redis-management']))


class TestZaqarConf(testtools.TestCase):

    def test_stock_by_default(self):
        conf = zaqar_conf([])
        self.assertEqual('sqlalchemy', conf['drivers']['management_store'])
        self.assertFalse(conf.has_section(variants.SECTION))
        self.assertEqual(
            test_configs.parse(configs.files(
                stack_paths.Paths('/srv/state'), test_configs.settings())[
                    '/srv/state/etc/zaqar.conf']).sections(),
            conf.sections())

    def test_redis_management_store_on_the_message_store_redis(self):
        conf = zaqar_conf(['redis-management'])
        self.assertEqual('redis', conf['drivers']['management_store'])
        self.assertFalse(conf.has_section(
            'drivers:management_store:sqlalchemy'))
        self.assertEqual('redis://127.0.0.1:20001',
                         conf['drivers:management_store:redis']['uri'])
        self.assertEqual('redis-management',
                         conf[variants.SECTION]['variants'])

    def test_every_option_exists(self):
        conf = zaqar_conf(sorted(variants.VARIANTS))
        known = test_configs.known_options('zaqar')
        for section in ('drivers', 'drivers:management_store:redis'):
            for key in conf[section]:
                self.assertIn(key, known[section], '[%s] %s' % (
                    section, key))

    def test_patch_only_variant_names_itself_for_the_processes(self):
        conf = zaqar_conf(['notifier-reuse'])
        self.assertEqual('sqlalchemy', conf['drivers']['management_store'])
        self.assertEqual('notifier-reuse',
                         conf[variants.SECTION]['variants'])


class _Executor:
    """Records what the notifier submits (pure bookkeeping)."""

    def __init__(self):
        self.submitted = []

    def submit(self, func, *args, **kwargs):
        self.submitted.append((func, args, kwargs))


class TestNotifierReuse(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # The patch replaces module and class attributes: restore them.
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar.notification.notifier.NotifierDriver._execute',
            notifier.NotifierDriver._execute))
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar.notification.tasks.webhook.requests', webhook.requests))
        self.useFixture(fixtures.MonkeyPatch(
            'zaqar.transport.websocket.factory.NotificationFactory.protocol',
            ws_factory.NotificationFactory.protocol))
        zaqar_patches.apply(['notifier_reuse'])

    def _driver(self):
        driver = notifier.NotifierDriver(subscription_controller=None)
        driver.executor = _Executor()
        return driver

    def test_one_task_per_scheme_across_posts_and_drivers(self):
        first, second = self._driver(), self._driver()
        for driver in (first, second):
            for _ in range(2):
                driver._execute('http', {'subscriber': 'http://x'},
                                [{'body': 1}], conf='CONF',
                                retry_policy={'retries_with_no_delay': 1})
        calls = first.executor.submitted + second.executor.submitted
        tasks = {func.__self__ for func, _, _ in calls}
        self.assertEqual(1, len(tasks))
        self.assertIsInstance(tasks.pop(), webhook.WebhookTask)
        func, args, kwargs = calls[0]
        self.assertEqual(({'subscriber': 'http://x'}, [{'body': 1}]), args)
        self.assertEqual({'conf': 'CONF', 'queue_retry_policy':
                          {'retries_with_no_delay': 1}}, kwargs)

    def test_websocket_server_keeps_webhook_connections(self):
        self.assertIs(zaqar_patches._KeepAliveNotifications,
                      ws_factory.NotificationFactory.protocol)

    def test_webhook_session_keeps_no_cookies(self):
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):

            def do_POST(self):
                self.rfile.read(int(self.headers['Content-Length']))
                seen.append(self.headers.get('Cookie'))
                self.send_response(204)
                self.send_header('Set-Cookie', 'tracker=1; Path=/')
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.addCleanup(server.server_close)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(server.shutdown)
        url = 'http://127.0.0.1:%d/' % server.server_address[1]
        for _ in range(2):
            self.assertEqual(204, webhook.requests.post(
                url, data='{}', timeout=10).status_code)
        self.assertEqual([None, None], seen)


class _Queues:
    """A queue controller's ``get_metadata``, counting its reads."""

    def __init__(self, known):
        self.known = known
        self.reads = []

    def get_metadata(self, name, project=None):
        self.reads.append((project, name))
        if name not in self.known:
            raise storage_errors.QueueDoesNotExist(name, project)
        return {'_retry_policy': {'retries': 1}}


class _Subscriptions:
    """Stock listing's shape: a page, then its last id as the marker."""

    driver = 'DRIVER'

    def __init__(self, count):
        self.ids = ['s%d' % i for i in range(count)]
        self.asked = []

    def list(self, queue, project=None, marker=None, limit=10):
        self.asked.append(marker)
        start = self.ids.index(marker) + 1 if marker else 0
        page = [{'id': i} for i in self.ids[start:start + limit]]
        yield iter(page)
        yield page[-1]['id'] if page else None


class TestNotifierLean(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # The patch replaces class attributes: restore them.
        for name in ('zaqar.storage.redis.queues.QueueController.'
                     'get_metadata',
                     'zaqar.storage.sqlalchemy.queues.QueueController.'
                     'get_metadata',
                     'zaqar.transport.wsgi.v2_0.messages.CollectionResource.'
                     'on_post',
                     'zaqar.api.v2.endpoints.Endpoints.message_post',
                     'zaqar.notification.notifier.NotifierDriver.__init__'):
            module, _, attr = name.rpartition('.')
            owner = importutils.import_class(module)
            self.useFixture(fixtures.MonkeyPatch(name, getattr(owner, attr)))
        zaqar_patches.apply(['notifier_lean'])

    def test_a_post_reads_each_queue_once_and_gets_copies(self):
        queues = _Queues({'q'})
        read = zaqar_patches._reads_once(_Queues.get_metadata)

        def post():
            first = read(queues, 'q', 'p')
            first['_retry_policy']['retries'] = 9
            second = read(queues, 'q', 'p')
            read(queues, 'q', 'other')
            return second

        second = zaqar_patches._one_post(post)()
        self.assertEqual({'_retry_policy': {'retries': 1}}, second)
        self.assertEqual([('p', 'q'), ('other', 'q')], queues.reads)

    def test_outside_a_post_every_call_reads(self):
        queues = _Queues({'q'})
        read = zaqar_patches._reads_once(_Queues.get_metadata)
        read(queues, 'q', 'p')
        read(queues, 'q', 'p')
        self.assertEqual(2, len(queues.reads))

    def test_a_missing_queue_is_read_again_once_created(self):
        queues = _Queues(set())
        read = zaqar_patches._reads_once(_Queues.get_metadata)

        def post():
            self.assertRaises(storage_errors.QueueDoesNotExist, read,
                              queues, 'q', 'p')
            queues.known.add('q')
            return read(queues, 'q', 'p')

        self.assertEqual({'_retry_policy': {'retries': 1}},
                         zaqar_patches._one_post(post)())
        self.assertEqual(2, len(queues.reads))

    def test_the_memory_ends_with_the_post_even_when_it_fails(self):
        queues = _Queues({'q'})
        read = zaqar_patches._reads_once(_Queues.get_metadata)

        def post():
            read(queues, 'q', 'p')
            raise ValueError('refused')

        self.assertRaises(ValueError, zaqar_patches._one_post(post))
        read(queues, 'q', 'p')
        self.assertEqual(2, len(queues.reads))

    def test_notifier_lists_no_empty_page_after_a_short_one(self):
        subscriptions = _Subscriptions(3)
        driver = notifier.NotifierDriver(
            subscription_controller=subscriptions)
        pages = driver.subscription_controller.list('q', 'p')
        self.assertEqual(3, len(list(next(pages))))
        self.assertIsNone(next(pages))
        self.assertEqual('DRIVER', driver.subscription_controller.driver)

    def test_notifier_still_pages_through_full_pages(self):
        subscriptions = _Subscriptions(12)
        driver = notifier.NotifierDriver(
            subscription_controller=subscriptions)
        pages = driver.subscription_controller.list('q', 'p', limit=6)
        self.assertEqual(6, len(list(next(pages))))
        self.assertEqual('s5', next(pages))

    def test_notifier_without_subscriptions_is_left_as_stock(self):
        driver = notifier.NotifierDriver(subscription_controller=None)
        self.assertIsNone(driver.subscription_controller)


class _Transport:
    """What the protocol writes, and whether it closed (bookkeeping)."""

    def __init__(self):
        self.written = b''
        self.closed = False

    def write(self, data):
        self.written += data

    def close(self):
        self.closed = True


class _Notifications:
    """The websocket server's factory side: records ``send_data``."""

    def __init__(self):
        self.sent = []

    def send_data(self, data, proto_id):
        self.sent.append((proto_id, data))


def _webhook(body, subscriber='sub-1', extra=b''):
    return (b'POST /%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n'
            % (subscriber.encode(), len(body), extra)) + body


class TestKeepAliveNotifications(testtools.TestCase):

    def _protocol(self):
        notifications = _Notifications()
        protocol = zaqar_patches._KeepAliveNotifications(notifications)
        transport = _Transport()
        protocol.connection_made(transport)
        return protocol, transport, notifications

    def test_webhooks_in_pieces_and_together_share_a_connection(self):
        protocol, transport, notifications = self._protocol()
        first = _webhook(b'{"a": 1}')
        protocol.data_received(first[:10])
        protocol.data_received(first[10:-2])
        self.assertEqual([], notifications.sent)
        protocol.data_received(first[-2:] + _webhook(b'[2]', 'sub-2') +
                               _webhook(b'3')[:7])
        self.assertEqual([('sub-1', b'{"a": 1}'), ('sub-2', b'[2]')],
                         notifications.sent)
        self.assertEqual(
            2 * b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
            transport.written)
        self.assertFalse(transport.closed)

    def test_a_client_asking_to_close_gets_its_answer_then_the_close(self):
        protocol, transport, notifications = self._protocol()
        protocol.data_received(_webhook(b'1', extra=b'Connection: close\r\n')
                               + _webhook(b'2'))
        self.assertEqual([('sub-1', b'1')], notifications.sent)
        self.assertTrue(transport.written.startswith(b'HTTP/1.1 200 OK'))
        self.assertTrue(transport.closed)

    def test_refusals_close_as_stock_does(self):
        for request, status in (
                (b'GET /sub HTTP/1.1\r\n\r\n', b'405'),
                (b'POST /sub HTTP/1.1\r\nHost: x\r\n\r\n', b'400'),
                (_webhook(b'1', subscriber=''), b'400'),
                (b'POST /sub HTTP/1.1\r\n' + b'X: y\r\n' * 20000, b'431'),
                (b'POST /sub HTTP/1.1\r\nContent-Length: %d\r\n\r\n{' % (
                    zaqar_patches._KeepAliveNotifications.MAX_BODY + 1),
                 b'413'),
                (b'POST /sub HTTP/1.1\r\nContent-Length: ' + b'9' * 5000 +
                 b'\r\n\r\n{', b'413')):
            protocol, transport, notifications = self._protocol()
            protocol.data_received(request)
            self.assertEqual([], notifications.sent)
            self.assertTrue(transport.written.startswith(
                b'HTTP/1.1 ' + status), transport.written)
            self.assertTrue(transport.closed)

    def test_a_requests_session_reuses_one_connection(self):
        notifications = _Notifications()
        connections = []

        def protocol():
            connections.append(1)
            return zaqar_patches._KeepAliveNotifications(notifications)

        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(
            loop.create_server(protocol, '127.0.0.1', 0))
        port = server.sockets[0].getsockname()[1]
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()

        def stop():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

        self.addCleanup(stop)
        with requests.Session() as session:
            for body in (b'{"n": 1}', b'{"n": 2}', b'{"n": 3}'):
                self.assertEqual(200, session.post(
                    'http://127.0.0.1:%d/sub-9' % port, data=body,
                    timeout=10).status_code)
        self.assertEqual([('sub-9', b'{"n": 1}'), ('sub-9', b'{"n": 2}'),
                          ('sub-9', b'{"n": 3}')], notifications.sent)
        self.assertEqual(1, len(connections))
