"""Errors of the SSH layer; every message is fit to show a user as it is."""

from __future__ import annotations


class SshError(Exception):
    """Base of everything that can go wrong talking to a server."""


class ConnectFailed(SshError):
    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"Cannot connect to {host}:{port}: {reason}")
        self.host, self.port, self.reason = host, port, reason


class HostKeyMismatch(SshError):
    """The server presented a host key other than the pinned one: refused, never accepted silently."""

    def __init__(self, host: str, expected: str, presented: str, presented_key: str) -> None:
        super().__init__(
            f"Host key of {host} changed: pinned {expected}, server presented {presented}. "
            "Connection refused. If you rebuilt the server, accept the new key explicitly."
        )
        self.host = host
        self.expected_fingerprint = expected
        self.presented_fingerprint = presented
        self.presented_key = presented_key


class CommandFailed(SshError):
    """A command exited non-zero. `command` is already redacted by whoever ran it."""

    def __init__(self, command: str, exit_code: int | None, stderr_tail: str) -> None:
        tail = stderr_tail.strip()
        detail = f"\n{tail}" if tail else ""
        super().__init__(f"Command failed with exit code {exit_code}: {command}{detail}")
        self.command, self.exit_code, self.stderr_tail = command, exit_code, tail


class CommandTimeout(CommandFailed):
    def __init__(self, command: str, timeout: float, stderr_tail: str) -> None:
        SshError.__init__(self, f"Command timed out after {timeout:g}s: {command}")
        self.command, self.exit_code, self.stderr_tail = command, None, stderr_tail
        self.timeout = timeout


class CommandAborted(SshError):
    """The panel stopped a command (killed on the server) before it ended, for the reason given."""

    def __init__(self, command: str, reason: str) -> None:
        super().__init__(f"Command stopped: {reason}: {command}")
        self.command, self.reason = command, reason
