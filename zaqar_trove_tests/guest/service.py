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

"""A guest stand-in: Trove's guest RPC server for one instance.

It serves what ``trove-guestagent`` serves
(``Target(topic='guestagent.<id>', server=<id>, version='1.3')``,
Trove's ``SecureSerializer`` over its ``TroveRequestContextSerializer``
with the instance's key, the default access policy) on a transport of its
own, and reports to the conductor through Trove's
``trove.conductor.api.API`` (with ``ConductorGuestSerializer``) on that
same transport. Unlike ``trove.rpc`` it takes its transport, key and
instance id as arguments, so several stand-ins (and Trove's control
plane) can share a process.

``received`` records what each request carried after Trove's
serializers: a guest with the wrong key sees ciphertext there.
"""

import json
import threading

from oslo_config import cfg
import oslo_messaging as om
from oslo_messaging.rpc import dispatcher

from zaqar_trove_tests.guest import manager as gmanager
from zaqar_trove_tests.guest import troveenv


def guest_conf(control_exchange='trove'):
    """A private ConfigOpts for a stand-in's transport."""
    conf = cfg.ConfigOpts()
    troveenv.register_messaging_opts(conf)
    conf.set_override('control_exchange', control_exchange)
    return conf


class Recorder(om.Serializer):
    """Wrap a serializer; keep what it deserialized and what it could not.

    ``received``: every context (as a dict) and argument after the inner
    serializer; ``failures``: ``repr`` of each exception it raised.
    """

    def __init__(self, inner):
        self._inner = inner
        self._lock = threading.Lock()
        self.received = []
        self.failures = []

    def serialize_entity(self, ctxt, entity):
        return self._inner.serialize_entity(ctxt, entity)

    def serialize_context(self, ctxt):
        return self._inner.serialize_context(ctxt)

    def _keep(self, func, value, as_dict=False):
        try:
            result = func(value)
        except Exception as exc:
            with self._lock:
                self.failures.append(repr(exc))
            raise
        kept = result.to_dict() if as_dict and hasattr(
            result, 'to_dict') else result
        with self._lock:
            self.received.append(kept)
        return result

    def deserialize_entity(self, ctxt, entity):
        return self._keep(
            lambda e: self._inner.deserialize_entity(ctxt, e), entity)

    def deserialize_context(self, ctxt):
        return self._keep(self._inner.deserialize_context, ctxt,
                          as_dict=True)

    def dump(self):
        """Everything received, as one JSON text (for searching)."""
        with self._lock:
            return json.dumps(self.received, default=repr)


class InstanceLabel(om.Serializer):
    """Trove's ``ConductorGuestSerializer`` with this guest's instance id.

    Trove's labels what it encrypts with ``CONF.guest_id``, one guest per
    agent process; a stand-in process serves several, so the label
    (``csz-instance-id``, which the conductor uses to pick the key) is set
    to the stand-in's own id after Trove's serializer encrypted. Without a
    key Trove's serializer neither encrypts nor labels: nor does this.
    """

    KEY = 'csz-instance-id'

    def __init__(self, inner, instance_id, encrypted):
        self._inner = inner
        self._instance_id = instance_id
        self._encrypted = encrypted

    def serialize_entity(self, ctxt, entity):
        value = self._inner.serialize_entity(ctxt, entity)
        if self._encrypted:
            data = json.loads(value)
            data[self.KEY] = self._instance_id
            value = json.dumps(data)
        return value

    def serialize_context(self, ctxt):
        value = self._inner.serialize_context(ctxt)
        if self._encrypted:
            value = dict(value, **{self.KEY: self._instance_id})
        return value

    def deserialize_entity(self, ctxt, entity):
        return self._inner.deserialize_entity(ctxt, entity)

    def deserialize_context(self, ctxt):
        return self._inner.deserialize_context(ctxt)


def conductor_api_class(trove):
    """Trove's conductor API, on a given transport, key and instance."""

    class GuestConductorAPI(trove.conductor_api.API):

        def __init__(self, context, transport, key, instance_id):
            self._transport = transport
            self._key = key
            self._instance_id = instance_id
            super().__init__(context)

        def get_client(self, target, version_cap, serializer=None):
            secure = trove.guest_serializer.ConductorGuestSerializer(
                trove.serializer.TroveRequestContextSerializer(serializer),
                self._key)
            return om.get_rpc_client(
                self._transport, target, version_cap=version_cap,
                serializer=InstanceLabel(secure, self._instance_id,
                                         self._key is not None))

    return GuestConductorAPI


class GuestStandIn:
    """Trove's guest RPC surface for ``instance_id`` on ``transport_url``.

    :param key: the instance's RPC key (None: plain RPC, as a guest of a
        Trove without ``enable_secure_rpc_messaging``).
    :param report: send heartbeats and backup updates to the conductor.
    :param workers: dispatch threads (oslo's default; 1 handles requests
        one at a time, in order).
    :param transport: an oslo.messaging transport to share instead of
        one of its own on ``transport_url`` (``stop`` leaves it open).
    """

    def __init__(self, instance_id, transport_url=None, key=None,
                 report=True, conf=None, workers=None, transport=None):
        self.trove = troveenv.load()
        self.instance_id = instance_id
        self.key = key
        self.conf = conf or guest_conf()
        self.transport = None
        self.server = None
        self._conductor_cls = conductor_api_class(self.trove)
        self.manager = gmanager.GuestManager(
            self.trove, instance_id,
            conductor=self.conductor if report else None)
        self.recorder = Recorder(
            self.trove.secure_serializer.SecureSerializer(
                self.trove.serializer.TroveRequestContextSerializer(None),
                key))
        self.url = transport_url
        self._workers = workers
        self._shared = transport

    @property
    def target(self):
        return om.Target(topic='guestagent.%s' % self.instance_id,
                         server=self.instance_id,
                         version=gmanager.API_VERSION)

    def conductor(self, context):
        """Trove's conductor API as this guest (its transport, key, id)."""
        return self._conductor_cls(context, self.transport, self.key,
                                   self.instance_id)

    def start(self):
        """Listen (raises oslo.messaging's errors, e.g. no grants)."""
        self.transport = self._shared or om.get_rpc_transport(
            self.conf, url=self.url,
            allowed_remote_exmods=self.trove.rpc.get_allowed_exmods())
        try:
            self.server = om.get_rpc_server(
                self.transport, self.target, [self.manager],
                executor='threading', serializer=self.recorder,
                access_policy=dispatcher.DefaultRPCAccessPolicy)
            self.server.start(override_pool_size=self._workers)
        except Exception:
            self.server = None
            if self._shared is None:
                self.transport.cleanup()
            self.transport = None
            raise
        return self

    def stop(self):
        """Stop serving and release the transport (idempotent)."""
        server, self.server = self.server, None
        transport, self.transport = self.transport, None
        try:
            if server is not None:
                server.stop()
                server.wait()
        finally:
            if transport is not None and self._shared is None:
                transport.cleanup()
