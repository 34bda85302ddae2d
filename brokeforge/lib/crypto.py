"""Secrets at rest: a text field encrypted with MultiFernet under keys kept in the data directory.

The key file lists keys newest first. Encryption always uses the first; decryption tries each, so
rotation is: list a new key first, re-encrypt every row (`brokeforge rotate-keys`), drop the old.
The key list is re-read on every use, so running workers follow a rotation.

`encrypted_fields()` lists every column that holds such tokens, so rotation covers a model that
gains an encrypted field without being told about it.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.apps import apps
from django.db import models

from brokeforge import home

_cache: tuple[tuple[str, ...], MultiFernet] | None = None


def fernet() -> MultiFernet:
    global _cache
    # Keyed by the keys themselves, not the file's mtime: two writes within one clock tick keep
    # the same mtime, and a worker would go on encrypting under a key that is being dropped.
    keys = tuple(home.encryption_keys())  # creates the file on first use
    if _cache is None or _cache[0] != keys:
        _cache = (keys, MultiFernet([Fernet(key.encode()) for key in keys]))
    return _cache[1]


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Stores the Fernet token; Python code only ever sees the plaintext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else encrypt(str(value))


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) of the installed apps whose column holds EncryptedTextField tokens.

    Computed when called, from the app registry: it holds each concrete model once (abstract models
    are not in it; the historical models migrations build live in registries of their own). Proxy
    models share their concrete model's table and unmanaged ones are not ours to rewrite, so both are
    left out; `local_concrete_fields` lists a column once, under the model whose table holds it,
    even with multi-table inheritance.
    """
    return [
        (model, field.name)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
