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

"""Conformance: oslo.messaging's own functional suite on the local stack.

``python -m zaqar_trove_tests.conformance`` (``tox -e oslo-functional``)
runs ``oslo_messaging.tests.functional.test_functional`` against
``zaqar://`` (push and poll) and ``rabbit://`` (the control) on a stack
of its own, one stestr repository per transport (``cli``).
``test_oslo_functional`` holds the suite's classes as oslo ships them;
``handover`` (pure) what they are handed and the one place that says
which tests are excluded everywhere or known to fail on one transport,
and why. May import ``bench`` (the stack's transport URLs), ``rpc`` (the
driver's option names) and ``stack``.
"""
