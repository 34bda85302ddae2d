"""`brokeforge rotate-keys` in a data directory of the test's own: every encrypted field of every
model moves to the new key, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection, models
from django.db.models import TextField, Value

from brokeforge import home
from brokeforge.cli.keys import UnreadableSecret, reencrypt, stored_tokens
from brokeforge.lib import crypto
from brokeforge.servers.models import ServerCredential

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


def secrets_by_pk() -> dict[int, str]:
    return {credential.pk: credential.private_key for credential in ServerCredential.objects.all()}


def credential_tokens() -> dict[object, str]:
    return dict(stored_tokens(ServerCredential, "private_key"))


def test_rotate_keys_reencrypts_every_private_key(
    invoke: Invoke, add_server: Any, brokeforge_home: Path
) -> None:
    add_server("a")
    add_server("b", "203.0.113.11")
    assert home.encryption_keys_path().parent == brokeforge_home
    old_keys = home.encryption_keys()
    plaintext, old_tokens = secrets_by_pk(), credential_tokens()
    assert len(plaintext) == 4 and all("PRIVATE KEY" in pem for pem in plaintext.values())

    for _run in range(2):  # a second run must be just as safe
        result = invoke("rotate-keys")
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 4 secrets" in result.stdout
        assert "servers.ServerCredential.private_key: 4" in result.stdout
        keys = home.encryption_keys()
        assert len(keys) == 1 and keys[0] not in old_keys
        new_only = Fernet(keys[0].encode())
        tokens = credential_tokens()
        assert all(tokens[pk] != old_tokens[pk] for pk in tokens)
        assert {pk: new_only.decrypt(token.encode()).decode() for pk, token in tokens.items()} == plaintext
        assert secrets_by_pk() == plaintext
        old_keys, old_tokens = keys, tokens


def test_rotate_keys_keeps_the_old_keys_when_a_row_cannot_be_read(invoke: Invoke, add_server: Any) -> None:
    add_server()
    before = home.encryption_keys()
    # A token under a key the file does not have: rotating must change nothing and say why.
    stranger = Fernet(Fernet.generate_key()).encrypt(b"-----BEGIN OPENSSH PRIVATE KEY-----").decode()
    credential = ServerCredential.objects.first()
    assert credential is not None
    ServerCredential.objects.filter(pk=credential.pk).update(private_key=Value(stranger, TextField()))
    tokens = credential_tokens()

    result = invoke("rotate-keys")
    assert result.exit_code == 1
    assert "could not be decrypted" in result.stderr
    assert credential_tokens() == tokens
    assert home.encryption_keys()[1:] == before  # the new key listed first, the old ones kept


@pytest.fixture
def vault() -> Iterator[type[models.Model]]:
    """A second model with encrypted fields and a table of its own, as site deploy keys and database
    passwords will be; gone from the database and the app registry afterwards."""

    class Vault(models.Model):
        label = models.CharField(max_length=20)
        password = crypto.EncryptedTextField()
        note = crypto.EncryptedTextField(null=True)

        class Meta:
            app_label = "servers"

    with connection.schema_editor() as editor:
        editor.create_model(Vault)
    try:
        yield Vault
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Vault)
        del apps.all_models["servers"]["vault"]
        apps.clear_cache()


def raw(model: type[models.Model], field: str) -> dict[object, str]:
    return dict(stored_tokens(model, field))


def test_rotate_keys_reencrypts_the_encrypted_fields_of_every_model(
    invoke: Invoke, add_server: Any, vault: Any
) -> None:
    add_server()
    vault.objects.create(label="db", password="Zq8-db-password", note="kept with it")
    vault.objects.create(label="empty", password="another one", note=None)
    before = {(model, field): raw(model, field) for model, field in crypto.encrypted_fields()}
    assert set(before) >= {(ServerCredential, "private_key"), (vault, "password"), (vault, "note")}

    result = invoke("rotate-keys")
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 5 secrets" in result.stdout
    assert "servers.Vault.password: 2" in result.stdout and "servers.Vault.note: 1" in result.stdout
    (key,) = home.encryption_keys()
    for (model, field), tokens in before.items():
        after = raw(model, field)
        assert after.keys() == tokens.keys()
        assert all(after[pk] != tokens[pk] for pk in tokens), f"{model.__name__}.{field} not rotated"
        for token in after.values():
            Fernet(key.encode()).decrypt(token.encode())
    assert {v.label: (v.password, v.note) for v in vault.objects.all()} == {
        "db": ("Zq8-db-password", "kept with it"),
        "empty": ("another one", None),
    }


def test_an_unreadable_value_in_any_model_rolls_back_every_model(
    invoke: Invoke, add_server: Any, vault: Any
) -> None:
    add_server()
    row = vault.objects.create(label="db", password="Zq8-db-password")
    stranger = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
    vault.objects.filter(pk=row.pk).update(note=Value(stranger, TextField()))
    credentials, passwords = credential_tokens(), raw(vault, "password")

    result = invoke("rotate-keys")
    assert result.exit_code == 1
    assert f"servers.Vault.note of row {row.pk}" in result.stderr
    assert "could not be decrypted" in result.stderr
    # The rows rotated before the unreadable one are back as they were.
    assert credential_tokens() == credentials and raw(vault, "password") == passwords


def test_the_rotation_helper_rotates_exactly_the_fields_it_is_given(add_server: Any) -> None:
    add_server()
    (old_key,) = home.encryption_keys()
    new_key = Fernet.generate_key().decode()
    home.write_encryption_keys([new_key, old_key])
    tokens = credential_tokens()

    assert reencrypt(new_key, [old_key], []) == {}
    assert credential_tokens() == tokens
    assert reencrypt(new_key, [old_key], [(ServerCredential, "private_key")]) == {
        "servers.ServerCredential.private_key": 2
    }
    assert all(Fernet(new_key.encode()).decrypt(token.encode()) for token in credential_tokens().values())


def test_the_rotation_helper_names_the_row_it_cannot_read(add_server: Any) -> None:
    add_server()
    credential = ServerCredential.objects.first()
    assert credential is not None
    stranger = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    ServerCredential.objects.filter(pk=credential.pk).update(private_key=Value(stranger, TextField()))
    (old_key,) = home.encryption_keys()
    with pytest.raises(
        UnreadableSecret, match=f"servers.ServerCredential.private_key of row {credential.pk}"
    ):
        reencrypt(Fernet.generate_key().decode(), [old_key])
