"""Secrets at rest: a text field encrypted with MultiFernet under keys kept in the data directory.

The key file lists keys newest first. Encryption always uses the first; decryption tries each, so
rotation is: list a new key first, re-encrypt every row (`brokeforge rotate-keys`), drop the old.
The key list is re-read when the file changes, so running workers follow a rotation.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.db import models

from brokeforge import home

_cache: tuple[float, MultiFernet] | None = None


def fernet() -> MultiFernet:
    global _cache
    path = home.encryption_keys_path()
    keys = home.encryption_keys()  # creates the file on first use
    mtime = path.stat().st_mtime
    if _cache is None or _cache[0] != mtime:
        _cache = (mtime, MultiFernet([Fernet(key.encode()) for key in keys]))
    return _cache[1]


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores the Fernet token; Python code only ever sees the plaintext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else encrypt(str(value))
