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


"""The floor's pure parts: websocket answer correlation."""

import threading

import testtools

from zaqar_trove_tests.bench import rawzaqar


def _answer(key, action='message_post'):
    return {'request': {'action': action,
                        'headers': {rawzaqar.Answers.HEADER: key}},
            'headers': {'status': 201}}


class TestAnswers(testtools.TestCase):

    def test_each_waiter_gets_its_own_answer(self):
        answers = rawzaqar.Answers()
        keys = [answers.new() for _ in range(8)]
        got = {}

        def wait(key):
            got[key] = answers.wait(key, 5)

        threads = [threading.Thread(target=wait, args=(k,)) for k in keys]
        for thread in threads:
            thread.start()
        for key in reversed(keys):
            answers.deliver(_answer(key))
        for thread in threads:
            thread.join(5)
        self.assertEqual({k: _answer(k) for k in keys}, got)

    def test_answer_before_wait_is_kept(self):
        answers = rawzaqar.Answers()
        key = answers.new()
        answers.deliver(_answer(key))
        self.assertEqual(_answer(key), answers.wait(key, 0))

    def test_unexpected_and_timed_out_answers_are_dropped(self):
        answers = rawzaqar.Answers()
        answers.deliver(_answer('nobody'))
        answers.deliver({'request': {'action': 'x'}})
        key = answers.new()
        self.assertIsNone(answers.wait(key, 0.01))
        answers.deliver(_answer(key))
        self.assertEqual({}, answers._answers)
