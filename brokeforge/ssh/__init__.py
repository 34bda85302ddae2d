"""Talking to servers over SSH. Knows hosts, keys, pinned host keys and timeouts; nothing else."""

from brokeforge.ssh.errors import (
    CommandAborted,
    CommandFailed,
    CommandTimeout,
    ConnectFailed,
    HostKeyMismatch,
    SshError,
)
from brokeforge.ssh.keys import KeyPair, fingerprint, generate_keypair
from brokeforge.ssh.transport import CommandResult, Connection, SshTarget, connect

__all__ = [
    "CommandAborted",
    "CommandFailed",
    "CommandResult",
    "CommandTimeout",
    "ConnectFailed",
    "Connection",
    "HostKeyMismatch",
    "KeyPair",
    "SshError",
    "SshTarget",
    "connect",
    "fingerprint",
    "generate_keypair",
]
