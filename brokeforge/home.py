"""The data directory ($BROKEFORGE_HOME) and the secrets generated into it on first start.

Secrets live next to the database, never in the repository: a Django secret key and the list of
encryption keys that protect private keys at rest (newest first, as MultiFernet expects).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

CHECKOUT = Path(__file__).resolve().parent.parent


def home() -> Path:
    path = Path(os.environ.get("BROKEFORGE_HOME", CHECKOUT / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _write_private(path: Path, text: str) -> None:
    """Create a file readable by its owner only, atomically, so a crash never leaves half a key."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.replace(path)


def secret_key() -> str:
    path = home() / "secret_key"
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(50) + "\n")
    return path.read_text().strip()


def encryption_keys_path() -> Path:
    return home() / "encryption_keys"


def encryption_keys() -> list[str]:
    """The encryption keys, newest first; one is generated on first start."""
    path = encryption_keys_path()
    if not path.exists():
        _write_private(path, Fernet.generate_key().decode() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def write_encryption_keys(keys: list[str]) -> None:
    _write_private(encryption_keys_path(), "".join(f"{key}\n" for key in keys))
