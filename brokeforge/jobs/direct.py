"""Reads that run at once, outside the queue: a directory listing, a file, the last lines of a log.

A package's read-only steps (they change nothing on the server) go through a `DirectRunner`
instead of the journal: no job, no server lock, so a user browsing a site's files is never kept
waiting behind a deployment. Whatever changes a server stays a job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any, TypeVar

from django.conf import settings

from brokeforge.lib.enums import CredentialType
from brokeforge.lib.redact import Secrets
from brokeforge.packages.base.command import Command
from brokeforge.packages.base.runner import current_runner
from brokeforge.servers.models import Server
from brokeforge.ssh import CommandResult, Connection, SshError, SshTarget, connect

T = TypeVar("T")


class NotConnected(ValueError):
    """The server's host key is not pinned yet: the panel has never connected to it."""


def target(server: Server, credential: CredentialType, private_key: str | None = None) -> SshTarget:
    """How to reach the server as `credential`, its pinned host key required when it has one."""
    return SshTarget(
        host=server.public_ip,
        port=server.ssh_port,
        username=credential.user,
        private_key=private_key or server.credential(credential).private_key,
        pinned_host_key=server.host_key,
        connect_timeout=settings.SSH_CONNECT_TIMEOUT,
    )


class _Stopped(Exception):
    """The caller of a followed read stopped listening."""


class DirectRunner:
    """The Runner protocol for read-only steps: each command runs at once on one connection per
    credential; nothing is journalled. A step that writes belongs in a job."""

    job_id: int | None = None

    def __init__(self, server: Server) -> None:
        if not server.host_key:
            raise NotConnected(f"{server.name} has not been connected yet; provision it first.")
        self.server = server
        self.secrets = Secrets()
        self.result: dict[str, Any] | None = None
        self._connections: dict[CredentialType, Connection] = {}

    def section(self, name: str) -> AbstractContextManager[None]:
        return nullcontext()

    def command(self, server: Server, command: Command, default_credential: CredentialType) -> CommandResult:
        if server.pk != self.server.pk:
            raise ValueError("A direct read runs on the one server it was opened for.")
        return self._run(command, default_credential)

    def follow(
        self,
        command: Command,
        default_credential: CredentialType,
        on_output: Callable[[str], None],
        keep_going: Callable[[], bool],
    ) -> CommandResult | None:
        """Run a read that streams (`tail -F`): its output goes to `on_output` as it comes. It
        ends with the command, or within half a second of `keep_going()` saying no: its channel
        is closed then and None returned (the command itself needs a time limit of its own)."""

        def check() -> None:
            if not keep_going():
                raise _Stopped

        def output(chunk: str) -> None:
            on_output(chunk)
            check()

        try:
            return self._run(command, default_credential, on_output=output, on_quiet=check)
        except _Stopped:
            return None

    def download(
        self, server: Server, remote_path: str, local_path: str, default_credential: CredentialType
    ) -> int:
        if server.pk != self.server.pk:
            raise ValueError("A direct read runs on the one server it was opened for.")
        return self._connection(default_credential).download(remote_path, local_path)

    def _connection(self, credential: CredentialType) -> Connection:
        if credential not in self._connections:
            self._connections[credential] = connect(target(self.server, credential))
        return self._connections[credential]

    def _run(self, command: Command, default_credential: CredentialType, **callbacks: Any) -> CommandResult:
        return self._connection(command.login(default_credential)).run(
            command.remote_script(),
            stdin=command.stdin,
            timeout=command.timeout or settings.SSH_COMMAND_TIMEOUT,
            check=command.check,
            display=command.describe(),
            **callbacks,
        )

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        action()

    def record_result(self, result: dict[str, Any]) -> None:
        self.result = result

    def close(self) -> None:
        for connection in self._connections.values():
            with suppress(SshError):
                connection.close()
        self._connections.clear()


@contextmanager
def direct(server: Server) -> Iterator[DirectRunner]:
    """Run the packages called inside on `server` right away: `with direct(server): explorer.listing(...)`."""
    runner = DirectRunner(server)
    token = current_runner.set(runner)
    try:
        yield runner
    finally:
        current_runner.reset(token)
        runner.close()
