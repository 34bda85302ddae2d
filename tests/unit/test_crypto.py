"""brokeforge/lib/crypto.py: private keys are Fernet tokens in the database; rotation keeps old rows."""

import os

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from brokeforge import home
from brokeforge.lib import crypto
from brokeforge.servers.models import Server, ServerCredential

PLAINTEXT = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-really-a-key\n-----END OPENSSH PRIVATE KEY-----\n"


def raw_private_key(credential: ServerCredential) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM servers_servercredential WHERE id = %s", [credential.pk])
        value: str = cursor.fetchone()[0]
    return value


def test_the_column_holds_a_token_not_the_plaintext(server: Server) -> None:
    credential = ServerCredential.objects.create(
        server=server, credential_type="root", public_key="ssh-ed25519 AAAA", private_key=PLAINTEXT
    )
    raw = raw_private_key(credential)
    assert "PRIVATE KEY" not in raw and "not-really-a-key" not in raw
    assert crypto.decrypt(raw) == PLAINTEXT
    assert ServerCredential.objects.get(pk=credential.pk).private_key == PLAINTEXT


def test_saving_again_keeps_the_plaintext_single_encrypted(server: Server) -> None:
    credential = ServerCredential.objects.create(
        server=server, credential_type="root", public_key="ssh-ed25519 AAAA", private_key=PLAINTEXT
    )
    loaded = ServerCredential.objects.get(pk=credential.pk)
    loaded.save()
    assert crypto.decrypt(raw_private_key(loaded)) == PLAINTEXT


def test_the_key_file_is_created_private() -> None:
    crypto.encrypt("x")
    assert home.encryption_keys_path().stat().st_mode & 0o077 == 0


def test_a_token_is_not_readable_under_another_key() -> None:
    token = crypto.encrypt("secret")
    home.write_encryption_keys([Fernet.generate_key().decode()])
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


def test_rotation_new_key_first_keeps_old_tokens_readable_and_encrypts_with_the_new_key() -> None:
    old_token = crypto.encrypt("old secret")
    (old_key,) = home.encryption_keys()
    new_key = Fernet.generate_key().decode()
    home.write_encryption_keys([new_key, old_key])

    assert crypto.decrypt(old_token) == "old secret"
    assert Fernet(new_key.encode()).decrypt(crypto.encrypt("new secret").encode()) == b"new secret"
    rotated = crypto.rotate(old_token)
    assert Fernet(new_key.encode()).decrypt(rotated.encode()) == b"old secret"

    home.write_encryption_keys([new_key])  # the old key dropped once every row is rotated
    assert crypto.decrypt(rotated) == "old secret"
    with pytest.raises(InvalidToken):
        crypto.decrypt(old_token)


def test_a_rotation_within_one_clock_tick_is_followed() -> None:
    """A worker must see a new key list even when the file's mtime did not change (coarse clocks)."""
    crypto.encrypt("warm the cache")
    path = home.encryption_keys_path()
    before = path.stat().st_mtime_ns
    new_key = Fernet.generate_key().decode()
    home.write_encryption_keys([new_key, *home.encryption_keys()])
    os.utime(path, ns=(before, before))
    assert Fernet(new_key.encode()).decrypt(crypto.encrypt("after rotation").encode()) == b"after rotation"
