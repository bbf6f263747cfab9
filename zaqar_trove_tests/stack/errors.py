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

"""What can go wrong with the local stack, each with a message to act on."""


class StackError(Exception):
    """Base class: the message says what happened and what to do."""


class MissingBinary(StackError):
    """A program the stack runs is not installed."""

    def __init__(self, program, package, looked_in):
        self.program = program
        self.package = package
        super().__init__(
            '%s not found (looked in %s): install the Debian package %s '
            '(apt-get install %s; bindep.txt lists them all)' % (
                program, ', '.join(looked_in), package, package))


class MissingPythonPackage(StackError):
    """A Python package the stack serves is not installed."""

    def __init__(self, module, error):
        super().__init__(
            'cannot import %s (%s): install the stack extra, e.g. '
            '"pip install zaqar-trove-tests[stack]"' % (module, error))


class StackAlreadyUp(StackError):
    """``up`` on a state directory whose stack still runs."""


class StackBusy(StackError):
    """Another command is starting or stopping the same stack."""


class StackNotUp(StackError):
    """An operation needs a running stack and there is none."""


class ServiceFailed(StackError):
    """A service exited, did not answer in time, or lost its port."""

    def __init__(self, name, reason, log_path=None, log_tail=''):
        self.name = name
        self.reason = reason
        self.log_path = log_path
        message = '%s %s' % (name, reason)
        if log_path:
            message += '\n--- last lines of %s ---\n%s' % (
                log_path, log_tail.rstrip() or '(empty)')
        super().__init__(message)
