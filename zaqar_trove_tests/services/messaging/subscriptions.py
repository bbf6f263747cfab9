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

"""Zaqar v2 subscriptions: ``/v2/queues/{name}/subscriptions[/{id}]``."""

from zaqar_trove_tests.api_schema.v2 import subscriptions as schema
from zaqar_trove_tests.services.messaging import base


def _subscription_document(subscriber, ttl, options):
    return {k: v for k, v in (('subscriber', subscriber), ('ttl', ttl),
                              ('options', options))
            if v is not None}


class SubscriptionsClient(base.MessagingClient):

    def create_subscription(self, queue_name, subscriber, ttl=None,
                            options=None):
        """POST a subscription: 201 with ``subscription_id``.

        ``subscriber`` is an ``http(s)://`` or ``mailto:`` URI. The same
        subscriber again gives 409 once confirmed, and 201 with the same
        id while unconfirmed.
        """
        resp, body = self.post(
            self.url('queues', queue_name, 'subscriptions'),
            self.dumps(_subscription_document(subscriber, ttl, options)))
        return self.respond(schema.create_subscription, resp, body)

    def list_subscriptions(self, queue_name, limit=None, marker=None):
        """GET a page of subscriptions with a ``next`` link."""
        resp, body = self.get(self.url('queues', queue_name, 'subscriptions',
                                       limit=limit, marker=marker))
        return self.respond(schema.list_subscriptions, resp, body)

    def show_subscription(self, queue_name, subscription_id):
        """GET one subscription."""
        resp, body = self.get(self.url('queues', queue_name, 'subscriptions',
                                       subscription_id))
        return self.respond(schema.show_subscription, resp, body)

    def update_subscription(self, queue_name, subscription_id,
                            subscriber=None, ttl=None, options=None):
        """PATCH a subscription: 204."""
        resp, body = self.patch(
            self.url('queues', queue_name, 'subscriptions', subscription_id),
            self.dumps(_subscription_document(subscriber, ttl, options)))
        return self.respond(schema.update_subscription, resp, body)

    def delete_subscription(self, queue_name, subscription_id):
        """DELETE a subscription: 204, also when there is none."""
        resp, body = self.delete(self.url('queues', queue_name,
                                          'subscriptions', subscription_id))
        return self.respond(schema.delete_subscription, resp, body)

    def confirm_subscription(self, queue_name, subscription_id, confirmed):
        """PUT ``.../confirm`` with ``{'confirmed': bool}``: 204."""
        resp, body = self.put(
            self.url('queues', queue_name, 'subscriptions', subscription_id,
                     'confirm'),
            self.dumps({'confirmed': confirmed}))
        return self.respond(schema.confirm_subscription, resp, body)
