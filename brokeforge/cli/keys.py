"""`brokeforge rotate-keys`: move every encrypted secret to a new key, then drop the old ones.

Every secret means every EncryptedTextField of every model (lib.crypto.encrypted_fields()): server
private keys today, and whatever model gains an encrypted field tomorrow, with no change here.

Order matters so that a crash at any point loses nothing:
1. the key file lists the new key first and every old key after it (all secrets stay readable);
2. every row is re-encrypted under the new key in one transaction, and checked with the new key alone;
3. only then is the key file rewritten with the new key alone.
A run that stops half way leaves a key file that still opens every row, so running again is safe.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.db import transaction
from django.db.models import Model, QuerySet, TextField, Value
from django.db.models.functions import Cast

from brokeforge import home
from brokeforge.cli import output
from brokeforge.cli.main import needs_database
from brokeforge.lib.crypto import encrypted_fields

EncryptedField = tuple[type[Model], str]


class UnreadableSecret(Exception):
    """A stored token that no key of the list opens; the rotation was rolled back."""

    def __init__(self, model: type[Model], field: str, pk: object) -> None:
        super().__init__(f"{label(model, field)} of row {pk}")


def label(model: type[Model], field: str) -> str:
    return f"{model._meta.label}.{field}"


def stored_tokens(model: type[Model], field: str) -> QuerySet[Model, tuple[object, str]]:
    """(pk, token) of every row holding a value in `field`, as stored: encrypted."""
    # Cast to a plain text column: the model field itself would hand us the decrypted secret. The
    # base manager: a default manager that hides rows (archived, soft-deleted) must not hide them here.
    return (
        model._base_manager.exclude(**{f"{field}__isnull": True})
        .annotate(token=Cast(field, TextField()))
        .values_list("pk", "token")
        .order_by("pk")
    )


def reencrypt(
    new_key: str, old_keys: list[str], fields: Iterable[EncryptedField] | None = None
) -> dict[str, int]:
    """Re-encrypt every encrypted field under new_key, all or nothing.

    `fields` defaults to every encrypted field of every model. Returns how many values each field
    holds, by "app_label.Model.field". Raises UnreadableSecret, changing nothing, when a stored token
    opens with none of the keys.
    """
    # Our own MultiFernet rather than the one cached by lib.crypto: this one must hold exactly the
    # keys we were given, whatever the key file says at this instant.
    keys = MultiFernet([Fernet(key.encode()) for key in [new_key, *old_keys]])
    new_only = Fernet(new_key.encode())
    fields = list(encrypted_fields() if fields is None else fields)
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, field in fields:
            rows = list(stored_tokens(model, field).select_for_update())
            for pk, token in rows:
                try:
                    rotated = keys.rotate(token.encode()).decode()
                except InvalidToken:
                    raise UnreadableSecret(model, field, pk) from None
                # A Value bypasses the field's encryption: the token is already encrypted.
                model._base_manager.filter(pk=pk).update(**{field: Value(rotated, TextField())})
            counts[label(model, field)] = len(rows)
        for model, field in fields:  # every value opens with the new key alone, or all rolls back
            for pk, token in stored_tokens(model, field):
                try:
                    new_only.decrypt(token.encode())
                except InvalidToken:
                    raise UnreadableSecret(model, field, pk) from None
    return counts


@click.command("rotate-keys")
@needs_database
def rotate_keys() -> None:
    """Re-encrypt every stored secret (private keys, passwords) under a fresh encryption key."""
    old_keys = home.encryption_keys()
    new_key = Fernet.generate_key().decode()
    home.write_encryption_keys([new_key, *old_keys])
    try:
        counts = reencrypt(new_key, old_keys)
    except UnreadableSecret as exc:
        raise click.ClickException(
            f"A stored secret ({exc}) could not be decrypted with any key in "
            f"{home.encryption_keys_path()}; nothing was re-encrypted and the old keys are kept."
        ) from None
    home.write_encryption_keys([new_key])
    out = output.console()
    out.print(f"Re-encrypted {sum(counts.values())} secrets under a new key.")
    for name, count in counts.items():
        out.print(f"  {name}: {count}", soft_wrap=True)
    out.print(f"Removed {len(old_keys)} old key(s) from {home.encryption_keys_path()}.")
