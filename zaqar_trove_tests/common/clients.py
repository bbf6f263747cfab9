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

"""One identity's Zaqar clients, gathered for tests."""

from zaqar_trove_tests.services import auth
from zaqar_trove_tests.services import websocket


class ZaqarClients:
    """The Zaqar v2 clients of one tempest credentials manager.

    :param manager: a tempest clients.Manager (cls.os_primary...).
    :param websocket_url: the messaging-websocket endpoint, or None.
    """

    def __init__(self, manager, websocket_url=None):
        factory = manager.zaqar_trove_messaging
        self.queues = factory.QueuesClient()
        self.messages = factory.MessagesClient()
        self.claims = factory.ClaimsClient()
        self.shares = factory.SharesClient()
        self.subscriptions = factory.SubscriptionsClient()
        self.credentials = manager.credentials
        self.auth_provider = manager.auth_provider
        self.websocket_url = websocket_url

    @property
    def project_id(self):
        return self.credentials.project_id

    @property
    def base_url(self):
        """The Zaqar HTTP endpoint these clients talk to."""
        return self.queues.base_url

    def as_(self, client_class, provider):
        """A client_class on the same endpoint speaking as provider.

        provider is one of services.auth's provider builders,
        called with this endpoint: e.g. as_(MessagesClient,
        lambda url: auth.signed_url(url, signed)).
        """
        return auth.build_client(client_class, provider(self.base_url))

    def websocket(self, authenticated=True, **kwargs):
        """A new websocket connection, authenticated with our token."""
        connection = websocket.WebsocketClient(self.websocket_url, **kwargs)
        if authenticated:
            connection.authenticate(self.auth_provider.get_token(),
                                    self.project_id)
        return connection
