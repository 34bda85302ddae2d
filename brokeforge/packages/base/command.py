"""A command step that says how it runs: who runs it, where, for how long, with what input.

A plain `str` in a commands list is the common case (the package's credential, no input, a
non-zero exit fails the job); a `Command` says more. Building the final shell line is pure, so a
unit test sees exactly what reaches the server.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from brokeforge.lib.enums import CredentialType
from brokeforge.ssh import CommandResult

# Linux user names the panel creates and accepts for `sudo -u`: no leading dash, no shell metacharacters.
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Users a site command may never run as, whatever a record says.
NOT_SITE_USERS = frozenset({"root", CredentialType.BROKEFORGE.user})


def linux_user(name: str) -> str:
    if not _USER_RE.fullmatch(name):  # fullmatch: `$` alone lets a trailing newline in
        raise ValueError(f"Invalid Linux user name {name!r}")
    return name


@dataclass(frozen=True)
class Command:
    """One shell command and how it runs.

    credential  the login user (root or brokeforge); None means the package's own credential.
    site_user   run as this site's Linux user through `sudo -u`, logged in as brokeforge.
    cwd         the working directory (entered as the user who runs the command).
    timeout     seconds before the remote command is killed and the step fails; None: the default.
    check       a non-zero exit fails the job (True) or is handed back in the result (False).
    stdin       what the command reads on standard input: file contents and secrets travel here,
                never on the command line, where every user of the server sees them in `ps`.
    reads_output  the package reads the result (output, exit code), so the command is never
                skipped on retry: its output is needed again.
    on_result   called with the result once the command ends (implies reads_output).
    repeat_on_retry  a retry runs it again even if it succeeded: what it made may be gone (a
                failed attempt that cleans up after itself).
    """

    script: str
    credential: CredentialType | None = None
    site_user: str | None = None
    cwd: str | None = None
    timeout: float | None = None
    check: bool = True
    stdin: str | None = None
    reads_output: bool = False
    on_result: Callable[[CommandResult], None] | None = None
    repeat_on_retry: bool = False

    def __post_init__(self) -> None:
        if not self.script.strip():
            raise ValueError("A command step needs a command.")
        if self.site_user is not None:
            linux_user(self.site_user)
            if self.site_user in NOT_SITE_USERS:
                raise ValueError(f"{self.site_user!r} is not a site user.")
            if self.credential == CredentialType.ROOT:
                raise ValueError("A site user's command runs through the brokeforge user, not root.")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"Timeout must be positive, got {self.timeout}.")

    def login(self, default: CredentialType) -> CredentialType:
        """Who the SSH connection logs in as: brokeforge reaches site users through sudo."""
        if self.site_user is not None:
            return CredentialType.BROKEFORGE
        return self.credential or default

    def remote_script(self) -> str:
        """The shell line sent to the server."""
        script = self.script
        if self.cwd is not None:
            script = f"cd {shlex.quote(self.cwd)} && {script}"
        if self.site_user is not None:
            # -n: fail rather than prompt; -H: the site user's own HOME; the shell runs as that
            # user. A command the panel stops gets SIGTERM, which sudo passes to its child only:
            # `timeout` (with no time limit) passes it on to every process of the command, as
            # the site user, and sends SIGKILL to what is left 5 s later.
            return f"sudo -n -H -u {self.site_user} -- timeout -k 5 0 bash -c {shlex.quote(script)}"
        return script

    @property
    def skippable(self) -> bool:
        """A retry may skip it when it succeeded before: unless its output is read again, or
        what it made may have been taken away since."""
        return not (self.reads_output or self.on_result is not None or self.repeat_on_retry)

    def describe(self) -> str:
        """What the journal shows: the line sent, and how much it was given on stdin (not what)."""
        line = self.remote_script()
        if self.stdin is not None:
            line += f"  <stdin: {len(self.stdin.encode())} bytes>"
        return line
