"""The server page: the root command to connect it, its public keys, its host key."""

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from brokeforge.actions import servers as server_actions
from brokeforge.lib.enums import ConnectionStatus, CredentialType
from brokeforge.servers.models import HostKeyEvent, Server, ServerPackage


def _page(client: Client, server: Server) -> str:
    response = client.get(reverse("server_detail", args=[server.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_shows_connect_command_and_public_keys_but_no_private_key(
    user_client: Client, server: Server
) -> None:
    page = _page(user_client, server)
    assert 'id="connect-command"' in page
    assert 'data-copy-target="connect-command"' in page
    assert escape(server_actions.server_connect_command(server)) in page
    for credential in CredentialType:
        assert server.credential(credential).public_key in page
        assert "PRIVATE KEY" not in page
    assert 'id="verify-button"' in page


def test_shows_pinned_host_key(user_client: Client, server: Server) -> None:
    Server.objects.filter(pk=server.pk).update(
        host_key_fingerprint="SHA256:pinnedpinned", host_key_pinned_at=timezone.now()
    )
    HostKeyEvent.objects.create(
        server=server, action=HostKeyEvent.Action.PINNED, fingerprint="SHA256:pinnedpinned"
    )
    page = _page(user_client, server)
    assert 'id="host-key-fingerprint">SHA256:pinnedpinned' in page
    assert "Pinned on first connect" in page
    assert "Accept new key" not in page


def test_changed_host_key_shows_both_fingerprints_and_accept(user_client: Client, server: Server) -> None:
    Server.objects.filter(pk=server.pk).update(
        host_key_fingerprint="SHA256:oldold",
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        presented_host_key="ssh-ed25519 AAAAnew",
        presented_host_key_fingerprint="SHA256:newnew",
    )
    page = _page(user_client, server)
    assert 'id="host-key-changed"' in page
    assert "SHA256:oldold" in page
    assert 'id="presented-host-key-fingerprint">SHA256:newnew' in page
    assert reverse("server_accept_host_key", args=[server.pk]) in page


def test_shows_installed_packages(user_client: Client, server: Server) -> None:
    ServerPackage.objects.create(
        server=server,
        package_type="php",
        package_name="php",
        package_version="8.2",
        configuration={"fpm": "on"},
    )
    page = _page(user_client, server)
    assert 'data-package="php"' in page
    assert "fpm: on" in page


def test_empty_states(user_client: Client, server: Server) -> None:
    page = _page(user_client, server)
    assert "No jobs yet" in page
    assert "Nothing installed yet" in page
