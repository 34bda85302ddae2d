"""The data directory ($BROKEFORGE_HOME) and the secrets generated into it on first start.

Secrets live next to the database, never in the repository: a Django secret key and the list of
encryption keys that protect private keys at rest (newest first, as MultiFernet expects).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

CHECKOUT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """The data directory, owner-only (0700) even when it existed before with looser rights."""
    path = Path(os.environ.get("BROKEFORGE_HOME", CHECKOUT / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Make `path` an owner-only file (0600), creating it empty if missing (a database before
    SQLite opens it: SQLite gives its -wal and -shm files the database file's rights)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o777 != 0o600:
        path.chmod(0o600)
    return path


def _temporary(path: Path, text: str) -> Path:
    """`text` in a new owner-only file beside `path`, under a name no one else can have chosen."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # O_EXCL, 0600
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


def _create_private(path: Path, text: str) -> None:
    """Create `path` with `text` unless it exists: exclusively, so two processes starting at once
    never each generate a key and overwrite each other's (data encrypted under the lost one would
    be unreadable); whole, so a crash never leaves half a key."""
    tmp = _temporary(path, text)
    try:
        with contextlib.suppress(FileExistsError):  # another process won: its key is the key
            os.link(tmp, path)
    finally:
        tmp.unlink()


def _replace_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically (a key rotation)."""
    _temporary(path, text).replace(path)


def _read_private(path: Path) -> str:
    private_file(path)  # an older install may have left it readable by others
    return path.read_text()


def secret_key() -> str:
    path = home() / "secret_key"
    if not path.exists():
        _create_private(path, secrets.token_urlsafe(50) + "\n")
    return _read_private(path).strip()


def encryption_keys_path() -> Path:
    return home() / "encryption_keys"


def encryption_keys() -> list[str]:
    """The encryption keys, newest first; one is generated on first start."""
    path = encryption_keys_path()
    if not path.exists():
        _create_private(path, Fernet.generate_key().decode() + "\n")
    return [line.strip() for line in _read_private(path).splitlines() if line.strip()]


def write_encryption_keys(keys: list[str]) -> None:
    _replace_private(encryption_keys_path(), "".join(f"{key}\n" for key in keys))
