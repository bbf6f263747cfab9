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


"""The profile's pure parts: py-spy raw stacks to shares and groups."""

import json
import os

import fixtures
import testtools

from zaqar_trove_tests.bench import cli
from zaqar_trove_tests.bench import profile
from zaqar_trove_tests.bench import report

SITE = '/venv/lib/python3.11/site-packages/'
WORKER = ('run (%sgunicorn/workers/gthread.py:10);'
          'handle (%sgunicorn/workers/gthread.py:20)' % (SITE, SITE))
AUTH = WORKER + ';__call__ (%skeystonemiddleware/auth_token/__init__.py:5)' \
    % SITE
POST = AUTH + ';on_post (%szaqar/transport/wsgi/v2_0/messages.py:7)' % SITE
NOTIFY = POST + ';post (%szaqar/notification/notifier.py:50)' % SITE

#: Hand-written raw py-spy output: 100 samples, 20 of them idle.
RAW = '\n'.join([
    WORKER + ';select (/usr/lib/python3.11/selectors.py:468) 15',
    WORKER + ';wait (/usr/lib/python3.11/threading.py:320) 5',
    POST + ';get_metadata (%szaqar/storage/sqlalchemy/queues.py:60);'
    '_get (%szaqar/storage/sqlalchemy/queues.py:73);'
    'execute (%ssqlalchemy/engine/base.py:1) 30' % (SITE, SITE, SITE),
    POST + ';post (%szaqar/storage/redis/messages.py:418) 20' % SITE,
    NOTIFY + ';list (%szaqar/storage/redis/subscriptions.py:90) 10' % SITE,
    NOTIFY + ';_execute (%szaqar/notification/notifier.py:99) 4' % SITE,
    # A subscription listing outside the notifier is not the notifier's;
    # the middleware's token check is keystone's own cost.
    AUTH + ';process_request (%skeystonemiddleware/auth_token/__init__.py'
    ':9);list (%szaqar/storage/redis/subscriptions.py:90) 6' % (SITE, SITE),
    WORKER + ';parse (%sgunicorn/http/message.py:1) 10' % SITE,
    'not a stack line',
    '',
])


def _group(summary, name):
    return next(g for g in summary['groups'] if g['name'].startswith(name))


class TestParse(testtools.TestCase):

    def test_frames_and_counts(self):
        samples = profile.parse(RAW)
        self.assertEqual(8, len(samples))
        self.assertEqual(100, sum(n for _, n in samples))
        frames, count = samples[0]
        self.assertEqual(15, count)
        self.assertEqual(('run', SITE + 'gunicorn/workers/gthread.py'),
                         frames[0])
        self.assertEqual(('select', '/usr/lib/python3.11/selectors.py'),
                         frames[-1])

    def test_frame_without_line_or_path(self):
        self.assertEqual(('f', 'a/b.py'), profile.frame('f (a/b.py)'))
        self.assertEqual(('<native>', ''), profile.frame('<native>'))

    def test_label_is_function_and_basename(self):
        self.assertEqual('post (notifier.py)', profile.label(
            'post', SITE + 'zaqar/notification/notifier.py'))


class TestIdle(testtools.TestCase):

    def test_waiting_leaves_are_idle(self):
        for func, path in (('select', '/x/selectors.py'),
                           ('wait', '/x/threading.py'),
                           ('NotifierDriver.wait', '/x/threading.py'),
                           ('recv_into', '/x/socket.py'),
                           ('wait', '/x/eventlet/hubs/poll.py')):
            self.assertTrue(profile.is_idle([('run', 'a.py'),
                                             (func, path)]), func)

    def test_work_and_waits_not_at_the_leaf_are_busy(self):
        self.assertFalse(profile.is_idle([('select', '/x/selectors.py'),
                                          ('parse', '/x/message.py')]))
        self.assertFalse(profile.is_idle([('wait', '/x/mine.py')]))

    def test_busy_drops_idle_samples(self):
        busy = profile.busy(profile.parse(RAW))
        self.assertEqual(80, sum(n for _, n in busy))


class TestSummarize(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.summary = profile.summarize(profile.parse(RAW), top=50,
                                         rate=100, messages=40)

    def test_totals_and_cpu_per_message(self):
        self.assertEqual(100, self.summary['samples'])
        self.assertEqual(80, self.summary['busy'])
        self.assertAlmostEqual(0.8, self.summary['busy_s'])
        self.assertAlmostEqual(20.0, self.summary['busy_ms_per_message'])

    def test_functions_count_where_they_run(self):
        top = {t['function']: t for t in self.summary['top']}
        # Only innermost frames: wrappers such as the worker loop or the
        # WSGI handler are not a cost of their own.
        self.assertEqual({'execute (base.py)', 'post (messages.py)',
                          'list (subscriptions.py)', 'parse (message.py)',
                          '_execute (notifier.py)'}, set(top))
        self.assertEqual(30, top['execute (base.py)']['samples'])
        self.assertEqual(30 / 80.0, top['execute (base.py)']['share'])
        self.assertEqual(80, sum(t['samples'] for t in top.values()))
        self.assertNotIn('select (selectors.py)', top)
        # Summed over the stacks it ends.
        self.assertEqual(16, top['list (subscriptions.py)']['samples'])
        shares = [t['share'] for t in self.summary['top']]
        self.assertEqual(sorted(shares, reverse=True), shares)

    def test_groups(self):
        def samples(name):
            return _group(self.summary, name)['samples']
        self.assertEqual(30, samples('queue metadata read'))
        self.assertEqual(14, samples('notifier (NotifierDriver.post)'))
        self.assertEqual(10, samples('notifier: subscription listing'))
        self.assertEqual(20, samples('message stored in Redis'))
        self.assertEqual(6, samples('keystone token check'))
        self.assertEqual(30 / 80.0,
                         _group(self.summary, 'queue metadata')['share'])

    def test_top_is_cut(self):
        self.assertEqual(3, len(profile.summarize(profile.parse(RAW),
                                                  top=3)['top']))

    def test_nothing_sampled(self):
        summary = profile.summarize([], rate=100, messages=10)
        self.assertEqual(0, summary['busy'])
        self.assertEqual(0.0, summary['busy_ms_per_message'])
        self.assertIsNone(profile.summarize(
            [], rate=100, messages=0)['busy_ms_per_message'])
        self.assertIsNone(profile.summarize([])['busy_s'])
        self.assertIsNone(summary['groups'][0]['share'])
        self.assertEqual([], summary['top'])


class TestGunicornWorkers(testtools.TestCase):

    def test_the_masters_children(self):
        self.assertEqual([11, 12], profile.gunicorn_workers(
            {10: 1, 11: 10, 12: 10}))

    def test_a_lone_process_is_its_own_worker(self):
        self.assertEqual([20], profile.gunicorn_workers({20: 1}))


def _results():
    summary = profile.summarize(profile.parse(RAW), top=5, rate=100,
                                messages=40)
    return {'command': 'python -m zaqar_trove_tests.bench --stages profile',
            'profile': {'seconds': 20, 'callers': 8, 'rate': 100,
                        'calls': 20, 'messages': 40, 'errors': 0,
                        'kinds': {'api': dict(summary, pids=[11, 12])}}}


class TestMarkdown(testtools.TestCase):

    def test_in_the_report(self):
        text = report.markdown(_results())
        self.assertIn('## Profile: Zaqar under the floor call', text)
        self.assertIn('### api (pids 11, 12)', text)
        self.assertIn('20.00 ms per message', text)
        self.assertIn('| queue metadata read (SQLAlchemy management store) '
                      '| 30 | 37.5 % |', text)

    def test_says_what_a_busy_sample_is(self):
        results = _results()
        self.assertIn('a thread waiting for the GIL or in a socket read '
                      'counts as busy', report.markdown(results))
        results['profile']['gil'] = True
        text = report.markdown(results)
        self.assertIn('sampling the thread that holds the GIL', text)
        self.assertNotIn('counts as busy', text)

    def test_absent_without_a_profile(self):
        self.assertNotIn('Profile', report.markdown({}))

    def test_page_from_a_runs_json(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        run = os.path.join(tmp, 'bench-1.json')
        with open(run, 'w') as f:
            json.dump(_results(), f)
        self.assertEqual(0, cli.profile_page(run, tmp, echo=lambda x: x))
        with open(os.path.join(tmp, 'profile.md')) as f:
            page = f.read()
        self.assertTrue(page.startswith('# Profile'))
        self.assertIn('keystone token check (auth_token process_request) '
                      '| 6 | 7.5 %', page)
        self.assertIn(run, page)


class TestCli(testtools.TestCase):

    def test_profile_is_a_stage_not_a_default(self):
        self.assertIn('profile', cli.STAGES)
        self.assertNotIn('profile', cli.DEFAULT_STAGES)
        args = cli.parser().parse_args(['--stages', 'profile',
                                        '--profile-seconds', '5',
                                        '--profile-callers', '2'])
        self.assertEqual((['profile'], 5.0, 2), (
            args.stages, args.profile_seconds, args.profile_callers))
