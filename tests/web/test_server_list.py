"""The servers page: what each server is, how it is connected and provisioned, what it runs."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.actions import servers as server_actions
from brokeforge.lib.enums import ConnectionStatus, ProvisionStatus
from brokeforge.servers.models import Server, ServerPackage


def test_empty_state_says_what_to_do(user_client: Client) -> None:
    response = user_client.get(reverse("servers"))
    assert b"No servers yet" in response.content
    assert reverse("server_add").encode() in response.content


def test_row_shows_server_state(user_client: Client, server: Server) -> None:
    Server.objects.filter(pk=server.pk).update(
        os_name="Debian GNU/Linux",
        os_version="12",
        connection_status=ConnectionStatus.CONNECTED,
        provision_status=ProvisionStatus.INSTALLING,
        provision={"1": "completed", "2": "completed", "3": "installing"},
    )
    ServerPackage.objects.create(
        server=server, package_type="webserver", package_name="nginx", package_version="1.22"
    )
    page = user_client.get(reverse("servers")).content.decode()
    for text in (
        "web-1",
        "203.0.113.10",
        "Debian GNU/Linux 12",
        "Connected",
        "Installing",
        "29%",
        "nginx",
        "1.22",
    ):
        assert text in page
    assert '<progress class="progress progress-installing" max="100" value="29">' in page


def test_query_count_does_not_grow_with_servers(
    user_client: Client, user: User, django_assert_max_num_queries
) -> None:
    for number in range(50):
        server = server_actions.add_server(user, f"web-{number}", f"203.0.113.{number + 1}")
        ServerPackage.objects.create(
            server=server, package_type="php", package_name="php", package_version="8.2"
        )
    with django_assert_max_num_queries(6):
        response = user_client.get(reverse("servers"))
    assert response.content.decode().count('class="server-row"') == 50
