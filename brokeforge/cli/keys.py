"""`brokeforge rotate-keys`: move every encrypted secret to a new key, then drop the old ones.

Order matters so that a crash at any point loses nothing:
1. the key file lists the new key first and every old key after it (all secrets stay readable);
2. every row is re-encrypted under the new key in one transaction, and checked with the new key alone;
3. only then is the key file rewritten with the new key alone.
A run that stops half way leaves a key file that still opens every row, so running again is safe.
"""

from __future__ import annotations

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.db import transaction
from django.db.models import QuerySet, TextField, Value
from django.db.models.functions import Cast

from brokeforge import home
from brokeforge.cli import output
from brokeforge.cli.main import needs_database
from brokeforge.servers.models import ServerCredential


def stored_tokens() -> QuerySet[ServerCredential, tuple[int, str]]:
    # Cast to a plain text column: the model field itself would hand us the decrypted secret.
    return ServerCredential.objects.annotate(token=Cast("private_key", TextField())).values_list(
        "pk", "token"
    )


def reencrypt_credentials(new_key: str, old_keys: list[str]) -> int:
    """Re-encrypt every private key under new_key, all or nothing; returns how many rows."""
    # Our own MultiFernet rather than the one cached by lib.crypto: that cache follows the key
    # file's mtime, which need not change between two writes made within one clock tick.
    keys = MultiFernet([Fernet(key.encode()) for key in [new_key, *old_keys]])
    new_only = Fernet(new_key.encode())
    with transaction.atomic():
        rows = list(stored_tokens().select_for_update())
        for pk, token in rows:
            rotated = keys.rotate(token.encode()).decode()
            # A Value bypasses the field's encryption: the token is already encrypted.
            ServerCredential.objects.filter(pk=pk).update(private_key=Value(rotated, TextField()))
        for _pk, token in stored_tokens():
            new_only.decrypt(token.encode())  # InvalidToken here rolls everything back
    return len(rows)


@click.command("rotate-keys")
@needs_database
def rotate_keys() -> None:
    """Re-encrypt every stored private key under a fresh encryption key."""
    old_keys = home.encryption_keys()
    new_key = Fernet.generate_key().decode()
    home.write_encryption_keys([new_key, *old_keys])
    try:
        count = reencrypt_credentials(new_key, old_keys)
    except InvalidToken:
        raise click.ClickException(
            "A stored private key could not be decrypted with any key in "
            f"{home.encryption_keys_path()}; nothing was re-encrypted and the old keys are kept."
        ) from None
    home.write_encryption_keys([new_key])
    out = output.console()
    out.print(f"Re-encrypted {count} private keys under a new key.")
    out.print(f"Removed {len(old_keys)} old key(s) from {home.encryption_keys_path()}.", markup=False)
