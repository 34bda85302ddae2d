"""Shared by the unit tests: steps as plain strings, and the expected lists kept in data/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from brokeforge.lib.enums import CredentialType
from brokeforge.lib.redact import Secrets
from brokeforge.packages.base import Command, Step
from brokeforge.packages.base.manager import PanelStep
from brokeforge.servers.models import Server
from brokeforge.ssh import CommandFailed, CommandResult

DATA = Path(__file__).parent / "data"
TRACK_RE = re.compile(r"^(?P<label>.*) \(step (?P<step>\d+) of (?P<total>\d+)\)$")


def describe(steps: Sequence[Step]) -> list[str]:
    """A shell command stays as it is; a Command becomes its line as sent, with what it reads on
    stdin after a "<<stdin" line; a panel step becomes "panel: <description>"."""
    return [_describe(step) for step in steps]


def _describe(step: Step) -> str:
    if isinstance(step, str):
        return step
    if isinstance(step, PanelStep):
        return f"panel: {step.description}"
    line = step.remote_script()
    return line if step.stdin is None else f"{line}\n<<stdin\n{step.stdin}"


def tracked(steps: Sequence[Step]) -> list[PanelStep]:
    """The milestone steps (track()) of a commands list, in order."""
    return [step for step in steps if isinstance(step, PanelStep) and TRACK_RE.match(step.description)]


def expected(name: str) -> dict[str, list[str]]:
    """data/<name>.json: {case: [step, ...]}; a step written as a list of lines is one multi-line step.

    Long scripts are stored line by line so that a change to one line shows as a one-line diff.
    """
    cases = json.loads((DATA / f"{name}.json").read_text())
    return {
        case: ["\n".join(step) if isinstance(step, list) else step for step in steps]
        for case, steps in cases.items()
    }


class TableRunner:
    """Answers commands from a table of outputs; a command not in it fails, as on a server."""

    job_id: int | None = None

    def __init__(self, outputs: dict[str, str], files: dict[str, bytes] | None = None) -> None:
        self.outputs = outputs
        self.files = files or {}
        self.commands: list[str] = []
        self.secrets = Secrets()
        self.results: list[dict[str, Any]] = []

    def section(self, name: str) -> AbstractContextManager[None]:
        return nullcontext()

    def command(self, server: Server, command: Command, default_credential: CredentialType) -> CommandResult:
        line = command.remote_script()
        self.commands.append(line)
        if line not in self.outputs:
            if command.check:
                raise CommandFailed(line, 1, "not in the table")
            return CommandResult(1, "", "not in the table")
        return CommandResult(0, self.outputs[line], "")

    def download(
        self, server: Server, remote_path: str, local_path: str, default_credential: CredentialType
    ) -> int:
        """Files "on the server" are `self.files`; a path not there fails, as on a server."""
        content = self.files.get(remote_path)
        if content is None:
            raise CommandFailed(f"download {remote_path}", 1, "No such file")
        Path(local_path).write_bytes(content)
        self.commands.append(f"download {remote_path}")
        return len(content)

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        action()

    def record_result(self, result: dict[str, Any]) -> None:
        self.results.append(result)
