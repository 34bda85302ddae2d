"""Key generation and fingerprints."""

from __future__ import annotations

from dataclasses import dataclass

import asyncssh


@dataclass(frozen=True)
class KeyPair:
    private_key: str  # OpenSSH PEM; callers store it encrypted
    public_key: str  # one authorized_keys line

    def __repr__(self) -> str:  # never print a private key by accident
        return f"KeyPair(public_key={self.public_key!r})"


def generate_keypair(comment: str) -> KeyPair:
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
    return KeyPair(
        private_key=key.export_private_key().decode(),
        public_key=key.export_public_key().decode().strip(),
    )


def fingerprint(public_key: str) -> str:
    """SHA256 fingerprint as `ssh-keygen -l` prints it."""
    return str(asyncssh.import_public_key(public_key).get_fingerprint("sha256"))
