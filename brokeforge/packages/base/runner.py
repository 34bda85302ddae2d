"""What a package needs from whoever runs it: the job layer's journal implements this.

Packages never import the job layer; the job layer puts a Runner in `current_runner` before it
calls a job's handle(), and every step of every package run inside goes through it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from brokeforge.lib.enums import CredentialType

if TYPE_CHECKING:
    from brokeforge.lib.redact import Secrets
    from brokeforge.packages.base.command import Command
    from brokeforge.servers.models import Server
    from brokeforge.ssh import CommandResult


class Runner(Protocol):
    job_id: int | None
    # Every value registered here is masked in everything the job stores or logs.
    secrets: Secrets

    def section(self, name: str) -> AbstractContextManager[None]:
        """Group the steps run inside under `name` (one package, one nested job)."""

    def command(self, server: Server, command: Command, default_credential: CredentialType) -> CommandResult:
        """Run a command on the server, journalled.

        Raises CommandFailed on a non-zero exit when `command.check`; otherwise returns the result.
        A retried job skips a command that succeeded at the same place in the attempt it retries,
        when it is the very same command (text, options and input); never one the package reads.
        """

    def download(
        self, server: Server, remote_path: str, local_path: str, default_credential: CredentialType
    ) -> int:
        """Copy a file from the server into the panel (journalled as a step); returns its size."""

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        """Run a step in the panel (database update, milestone), journalled."""

    def record_result(self, result: dict[str, Any]) -> None:
        """Keep what the job hands back (redacted) where the UI, CLI and API read it."""


current_runner: ContextVar[Runner] = ContextVar("current_runner")


def runner() -> Runner:
    try:
        return current_runner.get()
    except LookupError:
        raise RuntimeError(
            "Packages run inside a job: dispatch the job (brokeforge.jobs.queue) instead."
        ) from None
