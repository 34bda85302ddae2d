"""Exceptions raised by the test bed."""

from __future__ import annotations

import subprocess


class TestbedError(RuntimeError):
    """The host cannot run the test bed, or a server failed to boot or stop."""

    __test__ = False  # not a pytest test class, despite the name


class RemoteCommandError(subprocess.CalledProcessError):
    """A command run over SSH on a test server exited non-zero.

    Unlike CalledProcessError its message includes the server and the
    command's output, so a failing test shows why without extra logging.
    """

    def __init__(self, server: str, result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(result.returncode, result.args, result.stdout, result.stderr)
        self.server = server

    def __str__(self) -> str:
        remote = self.cmd[-1] if isinstance(self.cmd, list) and self.cmd else self.cmd
        return (
            f"on {self.server}: {remote!r} exited {self.returncode}\n"
            f"--- stdout ---\n{_tail(self.stdout)}\n--- stderr ---\n{_tail(self.stderr)}"
        )


def _tail(text: str | None, limit: int = 4000) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else "...\n" + text[-limit:]
