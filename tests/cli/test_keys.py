"""`brokeforge rotate-keys` in a data directory of the test's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db.models import TextField, Value

from brokeforge import home
from brokeforge.cli.keys import stored_tokens
from brokeforge.servers.models import ServerCredential

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


def secrets_by_pk() -> dict[int, str]:
    return {credential.pk: credential.private_key for credential in ServerCredential.objects.all()}


def test_rotate_keys_reencrypts_every_private_key(
    invoke: Invoke, add_server: Any, brokeforge_home: Path
) -> None:
    add_server("a")
    add_server("b", "203.0.113.11")
    assert home.encryption_keys_path().parent == brokeforge_home
    old_keys = home.encryption_keys()
    plaintext, old_tokens = secrets_by_pk(), dict(stored_tokens())
    assert len(plaintext) == 4 and all("PRIVATE KEY" in pem for pem in plaintext.values())

    for _run in range(2):  # a second run must be just as safe
        result = invoke("rotate-keys")
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 4 private keys" in result.stdout
        keys = home.encryption_keys()
        assert len(keys) == 1 and keys[0] not in old_keys
        new_only = Fernet(keys[0].encode())
        tokens = dict(stored_tokens())
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
    tokens = dict(stored_tokens())

    result = invoke("rotate-keys")
    assert result.exit_code == 1
    assert "could not be decrypted" in result.stderr
    assert dict(stored_tokens()) == tokens
    assert home.encryption_keys()[1:] == before  # the new key listed first, the old ones kept
