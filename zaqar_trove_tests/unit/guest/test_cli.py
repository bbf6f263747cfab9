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

"""``python -m zaqar_trove_tests.guest``, as the devstack plugin runs it.

The configuration is what ``devstack/plugin.sh`` writes
(``start_zaqar_trove_standins``); the transport is oslo's in-memory
``fake://``, so no service is needed.
"""

import os
import signal
import subprocess
import sys
import threading

import fixtures
import testtools

from zaqar_trove_tests.guest import cli
from zaqar_trove_tests.rpc import provision

IDS = ('3256a907-9653-49f6-ab69-77657dff890e',
       '3758ede3-080a-489a-89aa-118d43ecf665')


def write_conf(directory, instance_ids=IDS, url='fake:/'):
    path = os.path.join(directory, 'guest-standin.conf')
    with open(path, 'w') as f:
        f.write('[DEFAULT]\ntransport_url = %s\ncontrol_exchange = trove\n'
                '\n[zaqar_trove_guest]\ninstance_ids = %s\n'
                % (url, ','.join(instance_ids)))
    return path


class CliTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path

    def test_parse_what_the_plugin_writes(self):
        conf = cli.parse(['--config-file', write_conf(self.directory)])
        self.assertEqual(list(IDS), conf.zaqar_trove_guest.instance_ids)
        self.assertEqual(('fake:/', 'trove'),
                         (conf.transport_url, conf.control_exchange))
        self.assertEqual({}, conf.zaqar_trove_guest.instance_keys)

    def test_each_stand_in_uses_its_own_guest_config(self):
        credentials = os.path.join(self.directory, 'guests')
        for instance_id in IDS:
            provision.write(os.path.join(credentials, instance_id),
                            provision.render('zaqar://ctl:80/messaging', [],
                                             '/g/%s.json' % instance_id))
        path = write_conf(self.directory, url='')
        with open(path, 'a') as f:
            f.write('credentials_dir = %s\n' % credentials)
        conf = cli.parse(['--config-file', path])
        for instance_id in IDS:
            self.assertIn('signed_urls_file=/g/%s.json' % instance_id,
                          cli.guest_url(conf, instance_id))

    def test_no_url_and_no_credentials_is_an_error(self):
        error = self.assertRaises(SystemExit, cli.parse, [
            '--config-file', write_conf(self.directory, url='')])
        self.assertIn('credentials_dir', str(error))

    def test_nothing_to_serve_is_an_error(self):
        path = write_conf(self.directory, instance_ids=())
        error = self.assertRaises(SystemExit, cli.parse,
                                  ['--config-file', path])
        self.assertIn('instance_ids', str(error))

    def test_serve_starts_and_stops_every_stand_in(self):
        conf = cli.parse(['--config-file', write_conf(self.directory)])
        stop = threading.Event()
        stop.set()
        with self.assertLogs('zaqar_trove_tests.guest', 'INFO') as logs:
            cli.serve(conf, stop)
        self.assertEqual(['Serving guestagent.%s (plain RPC)' % i
                          for i in IDS] + ['Stopped 2 stand-in(s)'],
                         [r.getMessage() for r in logs.records])

    def test_module_serves_until_sigterm(self):
        process = subprocess.Popen(
            [sys.executable, '-m', 'zaqar_trove_tests.guest',
             '--config-file', write_conf(self.directory)],
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(process.stderr.close)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        # Reading its log blocks: a stand-in that never starts is killed.
        deadline = threading.Timer(120, process.kill)
        deadline.start()
        self.addCleanup(deadline.cancel)
        serving = 0
        for line in process.stderr:
            serving += 'Serving guestagent.' in line
            if serving == len(IDS):
                break
        self.assertEqual(len(IDS), serving)
        process.send_signal(signal.SIGTERM)
        self.assertEqual(0, process.wait(timeout=60))
        self.assertIn('Stopped 2 stand-in(s)', process.stderr.read())
