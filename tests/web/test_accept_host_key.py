"""Accepting a changed host key is an explicit POST, recorded with who and when."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import HostKeyEvent, Server


def test_accept_pins_the_presented_key_and_records_who(
    user_client: Client, user: User, server: Server
) -> None:
    Server.objects.filter(pk=server.pk).update(
        host_key="ssh-ed25519 AAAAold",
        host_key_fingerprint="SHA256:old",
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        presented_host_key="ssh-ed25519 AAAAnew",
        presented_host_key_fingerprint="SHA256:new",
    )
    response = user_client.post(reverse("server_accept_host_key", args=[server.pk]), follow=True)
    server.refresh_from_db()
    assert server.host_key_fingerprint == "SHA256:new"
    assert server.connection_status == ConnectionStatus.PENDING
    event = HostKeyEvent.objects.get(server=server)
    assert (event.action, event.user, event.previous_fingerprint) == ("accepted", user, "SHA256:old")
    page = response.content.decode()
    assert "New host key of web-1 accepted" in page
    assert 'data-action="accepted"' in page
    assert "by alice" in page


def test_accept_without_a_changed_key_is_an_error(user_client: Client, server: Server) -> None:
    response = user_client.post(reverse("server_accept_host_key", args=[server.pk]), follow=True)
    assert b"has not presented a different host key" in response.content
    assert not HostKeyEvent.objects.exists()
