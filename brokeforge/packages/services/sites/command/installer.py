"""Run one command in a site's live release (`current`, resolved when the command starts) as the
site's own Linux user (the seeds' single command executor): its output, error output, exit code
and duration are handed back and kept by the job.

The time limit is kept on the server: `timeout` stops the command and everything it started in
its process group (TERM, then KILL after a grace), and exits 124, so a command that ran too long
still hands back what it printed. The panel's own limit, a little later, is only the backstop for
a server that stops answering (the journal then kills the command itself)."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.sites.command.milestones import SiteCommandInstallerMilestones as M
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.ssh import CommandFailed, CommandResult

MAX_TIMEOUT_SECONDS = 3600
# Seconds between TERM and KILL for a command past its time.
KILL_GRACE_SECONDS = 5
# `timeout`'s exit codes for a command it stopped: with TERM, or with KILL after the grace.
TIMED_OUT_EXITS = (124, 137)
# How much later than the server's limit the panel stops waiting.
PANEL_GRACE_SECONDS = KILL_GRACE_SECONDS + 10


def check_request(command: str, timeout: int) -> None:
    """Refuse, with a message for the user, a command that cannot run."""
    if not command.strip():
        raise ValueError("Cannot execute an empty command.")
    if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"Timeout must be between 1 and {MAX_TIMEOUT_SECONDS} seconds, got {timeout}.")


@dataclass(frozen=True)
class CommandRun:
    command: str
    output: str
    error_output: str
    exit_code: int
    ran_at: str
    duration_ms: int
    timeout: int
    # Stopped on the server because it ran past `timeout`.
    timed_out: bool


class SiteCommandInstaller(PackageInstaller, SitePackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE_COMMAND

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, command: str, timeout: int = 120) -> CommandRun:
        check_request(command, timeout)
        self._run: CommandRun | None = None
        self.install(self.commands(command, timeout))
        assert self._run is not None
        return self._run

    def commands(self, command: str, timeout: int) -> list[Step]:
        assert self.site is not None
        spec = SiteSpec.of(self.site)
        return [
            self.track(M.PREPARE_EXECUTION),
            self.track(M.RUN_COMMAND),
            Command(
                f"timeout -k {KILL_GRACE_SECONDS} {timeout} bash -c {shlex.quote(command)}",
                site_user=spec.user,
                cwd=spec.current,
                timeout=timeout + PANEL_GRACE_SECONDS,
                check=False,  # its exit code is the result, recorded before the job says how it went
                on_result=lambda result: self._keep(command, timeout, result),
            ),
            self.panel("Record the command's result", self._record),
            self.panel("Check the command's exit code", self._check),
            self.track(M.COMPLETE),
        ]

    def _keep(self, command: str, timeout: int, result: CommandResult) -> None:
        self._run = CommandRun(
            command=command,
            output=result.stdout,
            error_output=result.stderr,
            exit_code=result.exit_code,
            ran_at=datetime.fromtimestamp(result.started_at, UTC).isoformat(),
            duration_ms=result.duration_ms,
            timeout=timeout,
            # A command may exit 124 of its own accord; one `timeout` stopped ran its full time.
            timed_out=result.exit_code in TIMED_OUT_EXITS and result.duration_ms >= timeout * 1000,
        )

    def _record(self) -> None:
        assert self._run is not None
        runner().record_result(asdict(self._run))

    def _check(self) -> None:
        run = self._run
        assert run is not None
        if run.timed_out:
            raise CommandFailed(
                f"{run.command} (stopped on the server after its timeout of {run.timeout}s)",
                run.exit_code,
                run.error_output[-2000:],
            )
        if run.exit_code != 0:
            raise CommandFailed(run.command, run.exit_code, run.error_output[-2000:])
