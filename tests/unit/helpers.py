"""Shared by the unit tests: steps as plain strings, and the expected lists kept in data/."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from brokeforge.packages.base import Step
from brokeforge.packages.base.manager import PanelStep

DATA = Path(__file__).parent / "data"
TRACK_RE = re.compile(r"^(?P<label>.*) \(step (?P<step>\d+) of (?P<total>\d+)\)$")


def describe(steps: Sequence[Step]) -> list[str]:
    """A shell command stays as it is; a panel step becomes "panel: <description>"."""
    return [step if isinstance(step, str) else f"panel: {step.description}" for step in steps]


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
