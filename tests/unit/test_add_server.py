"""server_actions.add_server: a server with its two ed25519 keypairs, or an ActionError and nothing."""

import pytest
from django.contrib.auth.models import User
from django.db import connection

from brokeforge.actions.servers import ActionError, add_server
from brokeforge.lib import crypto
from brokeforge.lib.enums import CredentialType
from brokeforge.servers.models import Server, ServerCredential
from brokeforge.ssh import fingerprint


def test_add_server_creates_the_server_with_two_ed25519_credentials(owner: User) -> None:
    server = add_server(owner, " web-1 ", "203.0.113.10", "2222", "8.2")
    server.refresh_from_db()
    assert (server.name, server.public_ip, server.ssh_port, server.php_version) == (
        "web-1",
        "203.0.113.10",
        2222,
        "8.2",
    )
    credentials = {c.credential_type: c for c in server.credentials.all()}
    assert set(credentials) == {CredentialType.ROOT, CredentialType.BROKEFORGE}
    for kind, credential in credentials.items():
        assert credential.public_key.startswith("ssh-ed25519 ")
        assert credential.public_key.endswith(f" brokeforge-{kind}@web-1")
        assert credential.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        fingerprint(credential.public_key)  # a key ssh can read
    assert credentials["root"].public_key != credentials["brokeforge"].public_key


def test_private_keys_are_encrypted_at_rest(owner: User) -> None:
    server = add_server(owner, "web-1", "203.0.113.10")
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM servers_servercredential WHERE server_id = %s", [server.pk])
        tokens = [row[0] for row in cursor.fetchall()]
    assert len(tokens) == 2
    for token in tokens:
        assert "PRIVATE KEY" not in token
        assert crypto.decrypt(token).startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


@pytest.mark.parametrize(
    ("name", "ip", "port", "php", "message"),
    [
        ("", "203.0.113.10", 22, "8.2", "Name must be 1-63 characters"),
        ("web;1", "203.0.113.10", 22, "8.2", "Name must be 1-63 characters"),
        ("web-1", "999.0.0.1", 22, "8.2", "is not a valid IPv4 or IPv6 address"),
        ("web-1", "127.0.0.1", 22, "8.2", "cannot be a server address"),
        ("web-1", "::ffff:127.0.0.1", 22, "8.2", "cannot be a server address"),
        ("web-1", "203.0.113.10", 0, "8.2", "SSH port must be between 1 and 65535"),
        ("web-1", "203.0.113.10", "ssh", "8.2", "SSH port must be a number"),
        ("web-1", "203.0.113.10", 22, "5.6", "Unsupported PHP version '5.6'; choose one of: 8.2."),
    ],
)
def test_bad_input_raises_and_creates_nothing(
    owner: User, name: str, ip: str, port: object, php: str, message: str
) -> None:
    with pytest.raises(ActionError, match=message):
        add_server(owner, name, ip, port, php)  # type: ignore[arg-type]
    assert not Server.objects.exists()
    assert not ServerCredential.objects.exists()


def test_a_duplicate_name_is_refused_for_the_same_owner_only(owner: User) -> None:
    add_server(owner, "web-1", "203.0.113.10")
    with pytest.raises(ActionError, match="You already have a server named 'web-1'"):
        add_server(owner, "web-1", "203.0.113.11")
    assert Server.objects.count() == 1 and ServerCredential.objects.count() == 2
    other = User.objects.create_user("bob")
    assert add_server(other, "web-1", "203.0.113.11").owner == other
