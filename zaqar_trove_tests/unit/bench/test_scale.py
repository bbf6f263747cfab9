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

"""The scale stage's arithmetic, its report table and its registration."""

import testtools

from zaqar_trove_tests.bench import cli
from zaqar_trove_tests.bench import report
from zaqar_trove_tests.bench import scale
from zaqar_trove_tests.bench import target

URLS = ['ws://127.0.0.1:1', 'ws://127.0.0.1:2']


def cell(transport, callers, calls, wall, zaqar_share, ws_share, samples,
         redis_share=0.0):
    """An ``rpcbench.interleaved`` cell (before ``label``)."""
    return {'transport': transport, 'callers': callers, 'calls': calls,
            'errors': 0, 'wall_s': wall, 'samples_ms': list(samples),
            'cpu': {'zaqar': zaqar_share, 'zaqar-websocket': ws_share,
                    'redis': redis_share, 'callers': 3.0}}


SETUPS = [(1, 1), (1, 1), (2, 1), (2, 1), (1, 2), (1, 2)]


def cells_of_a_run():
    # Systems: floor-ws and push on (1 ws, 1 pool), (2, 1), (1, 2); 8
    # then 32 callers; the CPU shares are of one core.
    return scale.label([
        cell('floor-ws', 8, 400, 2.0, 1.0, 0.5, [3, 1, 2]),
        cell('push', 8, 200, 2.0, 1.0, 0.1, [5]),
        cell('floor-ws', 8, 600, 2.0, 1.2, 0.8, [2]),
        cell('push', 8, 200, 2.0, 1.0, 0.1, [5]),
        cell('floor-ws', 8, 400, 2.0, 1.0, 0.5, [3], 0.2),
        cell('push', 8, 220, 2.0, 1.0, 0.1, [5]),
        cell('floor-ws', 32, 400, 2.0, 1.0, 0.5, [9]),
        cell('push', 32, 100, 2.0, 1.0, 0.1, [9]),
        cell('floor-ws', 32, 400, 2.0, 1.0, 0.5, [9]),
        cell('push', 32, 300, 2.0, 1.0, 0.1, [9]),
        cell('floor-ws', 32, 400, 2.0, 1.0, 0.5, [9]),
        cell('push', 32, 100, 2.0, 1.0, 0.1, [9]),
    ], SETUPS)


class TestSides(testtools.TestCase):

    def test_one_server_both_sides_on_the_first(self):
        self.assertEqual((URLS[0], URLS[0]), scale.sides(URLS, 1))

    def test_two_servers_one_side_each(self):
        self.assertEqual((URLS[0], URLS[1]), scale.sides(URLS, 2))

    def test_more_than_the_stack_has_is_refused(self):
        self.assertRaises(ValueError, scale.sides, URLS[:1], 2)
        self.assertRaises(ValueError, scale.sides, URLS, 0)


class TestArithmetic(testtools.TestCase):

    def test_label_follows_the_systems_per_callers(self):
        self.assertEqual(SETUPS * 2,
                         [(c['websockets'], c['pools'])
                          for c in cells_of_a_run()])

    def test_rows(self):
        rows = scale.summarize(cells_of_a_run())
        self.assertEqual(12, len(rows))
        by = {(r['transport'], r['callers'], r['websockets'], r['pools']): r
              for r in rows}
        one = by[('floor-ws', 8, 1, 1)]
        self.assertAlmostEqual(200.0, one['calls_per_s'])
        self.assertEqual(2, one['p50_ms'])
        # (1.0 zaqar + 0.5 websocket) cores x 2 s / 400 calls.
        self.assertAlmostEqual(7.5, one['zaqar_cpu_ms_per_call'])
        self.assertAlmostEqual(0.5, one['ws_cores'])
        self.assertAlmostEqual(2000.0 * 2.0 / 600,
                               by[('floor-ws', 8, 2, 1)][
                                   'zaqar_cpu_ms_per_call'])
        pooled = by[('floor-ws', 8, 1, 2)]
        self.assertAlmostEqual(0.2, pooled['redis_cores'])
        # Redis is Zaqar's too: (1.0 + 0.5 + 0.2) x 2000 / 400.
        self.assertAlmostEqual(8.5, pooled['zaqar_cpu_ms_per_call'])

    def test_no_calls_no_cpu_per_call(self):
        rows = scale.summarize(scale.label(
            [cell('push', 8, 0, 2.0, 1.0, 0.1, [])], [(1, 1)]))
        self.assertIsNone(rows[0]['zaqar_cpu_ms_per_call'])
        self.assertIsNone(rows[0]['p50_ms'])

    def test_ratios_two_websocket_servers_against_one(self):
        found = {(r['transport'], r['callers']): r
                 for r in scale.ratios(scale.summarize(cells_of_a_run()))}
        self.assertEqual({('floor-ws', 8), ('floor-ws', 32), ('push', 8),
                          ('push', 32)}, set(found))
        self.assertAlmostEqual(1.5, found[('floor-ws', 8)]['calls_per_s'])
        self.assertAlmostEqual(3.0, found[('push', 32)]['calls_per_s'])
        self.assertAlmostEqual(
            (2000.0 * 2.0 / 600) / 7.5,
            found[('floor-ws', 8)]['zaqar_cpu_ms_per_call'])

    def test_ratios_two_pools_against_one(self):
        found = {(r['transport'], r['callers']): r
                 for r in scale.ratios(scale.summarize(cells_of_a_run()),
                                       'pools')}
        self.assertEqual({'pools'}, {r['axis'] for r in found.values()})
        self.assertAlmostEqual(1.1, found[('push', 8)]['calls_per_s'])
        self.assertAlmostEqual(8.5 / 7.5, found[('floor-ws', 8)][
            'zaqar_cpu_ms_per_call'])


class TestReportAndRegistration(testtools.TestCase):

    def test_markdown_table(self):
        rows = scale.summarize(cells_of_a_run())
        text = report.markdown({'scale': {
            'websocket_servers': 2, 'pools': 2, 'rows': rows,
            'ratios': scale.ratios(rows) + scale.ratios(rows, 'pools')}})
        self.assertIn('## Scale-out: 1 against 2 Zaqar websocket servers, '
                      '1 against 2 pools', text)
        self.assertIn('| floor-ws | 8 | 2 | 1 | 300 | 2.0 | 6.67 | 80.0 % '
                      '| 0.0 % | 0 | 1.50x | 0.89x |', text)
        self.assertIn('| floor-ws | 8 | 1 | 1 | 200 | 2.0 | 7.50 | 50.0 % '
                      '| 0.0 % | 0 | - | - |', text)
        self.assertIn('| push | 8 | 1 | 2 | 110 | 5.0 | 10.00 | 10.0 % '
                      '| 0.0 % | 0 | 1.10x | 0.91x |', text)

    def test_the_machine_line_counts_websocket_servers(self):
        def line(stack):
            return [x for x in report.markdown({'stack': stack}).splitlines()
                    if x.startswith('- stack:')][0]
        self.assertTrue(line({}).endswith('; one websocket server'))
        self.assertTrue(line({'zaqar_websockets': 2}).endswith(
            '; 2 websocket servers'))
        self.assertTrue(line({'zaqar_websockets': 2, 'zaqar_pools': 2})
                        .endswith('; 2 websocket servers; 2 Zaqar pools '
                                  '(Redis servers)'))

    def test_no_scale_no_table(self):
        self.assertNotIn('Scale-out', report.markdown({}))

    def test_a_stage_of_its_own_not_a_default(self):
        self.assertIn('scale', cli.STAGES)
        self.assertIn('scale', cli._STAGES)
        self.assertIn('scale', cli.OWN_STACK_STAGES)
        self.assertNotIn('scale', cli.DEFAULT_STAGES.split(','))

    def test_the_stack_it_starts_has_two_websocket_servers_and_pools(self):
        self.assertEqual((2, 2), cli._shape(['floor', 'scale']))
        self.assertEqual((1, 1), cli._shape(['floor', 'calls']))

    def test_push_url_on_chosen_websocket_servers(self):
        settings = {'ports': {'zaqar': 1001, 'zaqar_ws': 1002,
                              'zaqar_ws_2': 1005, 'keystone': 1003,
                              'rabbit': 1004},
                    'secrets': {'rpc_password': 'pw',
                                'rabbit_password': 'r'},
                    'zaqar_websockets': 2}
        url = target.transport_url(settings, 'push')
        self.assertIn('websocket_url=ws://127.0.0.1:1002,'
                      'ws://127.0.0.1:1005&', url)
        url = target.transport_url(settings, 'push',
                                   ws_urls=['ws://127.0.0.1:1005'])
        self.assertEqual(1, url.count('websocket_url='))
        self.assertIn('websocket_url=ws://127.0.0.1:1005&delivery=push',
                      url)
