"""What a package needs from whoever runs it: the job layer's journal implements this.

Packages never import the job layer; the job layer puts a Runner in `current_runner` before it
calls a job's handle(), and every step of every package run inside goes through it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

from brokeforge.packages.enums import CredentialType

if TYPE_CHECKING:
    from brokeforge.servers.models import Server
    from brokeforge.ssh import CommandResult


class Runner(Protocol):
    job_id: int | None

    def section(self, name: str) -> AbstractContextManager[None]:
        """Group the steps run inside under `name` (one package, one nested job)."""

    def command(
        self,
        server: Server,
        credential: CredentialType,
        command: str,
        *,
        secrets: frozenset[str],
        timeout: float | None = None,
        skippable: bool = True,
    ) -> CommandResult:
        """Run a shell command on the server, journalled; raise CommandFailed on non-zero exit.

        A retried job skips `skippable` commands that succeeded in the attempt it retries; a
        command whose output the package reads is never skipped.
        """

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        """Run a step in the panel (database update, milestone), journalled."""


current_runner: ContextVar[Runner] = ContextVar("current_runner")


def runner() -> Runner:
    try:
        return current_runner.get()
    except LookupError:
        raise RuntimeError(
            "Packages run inside a job: dispatch the job (brokeforge.jobs.queue) instead."
        ) from None
