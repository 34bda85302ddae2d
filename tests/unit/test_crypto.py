"""brokeforge/lib/crypto.py: private keys are Fernet tokens in the database; rotation keeps old rows;
every encrypted field of every model is known, for rotation to re-encrypt."""

import os
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.db import connection, models
from django.db.migrations.state import ProjectState

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


# -- the registry of encrypted fields -----------------------------------------------------------------


@pytest.fixture
def temporary_models() -> Iterator[list[type[models.Model]]]:
    """Models defined by a test, taken out of the app registry again afterwards."""
    defined: list[type[models.Model]] = []
    yield defined
    for model in defined:
        del apps.all_models[model._meta.app_label][model._meta.model_name]
    apps.clear_cache()


def test_the_registry_lists_the_server_private_keys() -> None:
    assert (ServerCredential, "private_key") in crypto.encrypted_fields()
    assert all(isinstance(model._meta.get_field(name), crypto.EncryptedTextField)
               for model, name in crypto.encrypted_fields())  # fmt: skip


def test_a_new_model_with_an_encrypted_field_is_listed_with_no_change_elsewhere(
    temporary_models: list[type[models.Model]],
) -> None:
    class DeployKeyProbe(models.Model):
        name = models.CharField(max_length=20)
        private_key = crypto.EncryptedTextField()
        passphrase = crypto.EncryptedTextField(null=True)

        class Meta:
            app_label = "servers"

    temporary_models.append(DeployKeyProbe)
    found = crypto.encrypted_fields()
    assert (DeployKeyProbe, "private_key") in found and (DeployKeyProbe, "passphrase") in found
    assert (DeployKeyProbe, "name") not in found


def test_tables_that_are_not_ours_or_not_their_own_are_not_listed(
    temporary_models: list[type[models.Model]],
) -> None:
    class SecretBase(models.Model):
        secret = crypto.EncryptedTextField()

        class Meta:
            abstract = True
            app_label = "servers"

    class ExternalSecrets(SecretBase):
        class Meta:
            managed = False
            app_label = "servers"

    class CredentialProxy(ServerCredential):
        class Meta:
            proxy = True
            app_label = "servers"

    temporary_models += [ExternalSecrets, CredentialProxy]
    models_found = [model for model, _name in crypto.encrypted_fields()]
    assert SecretBase not in models_found and ExternalSecrets not in models_found
    assert CredentialProxy not in models_found
    assert models_found.count(ServerCredential) == 1


def test_migrations_historical_models_are_not_listed() -> None:
    # The registry of models a migration sees: copies of the models, with our field on them.
    historical = ProjectState.from_apps(apps).apps.get_model("servers", "ServerCredential")
    assert isinstance(historical._meta.get_field("private_key"), crypto.EncryptedTextField)
    assert historical is not ServerCredential
    assert historical not in [model for model, _name in crypto.encrypted_fields()]
