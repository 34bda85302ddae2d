"""Fixtures for the CLI tests: run `brokeforge ...` in-process, an admin to own servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from brokeforge.cli.main import cli

Invoke = Callable[..., Result]


@pytest.fixture
def brokeforge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of the test's own, so key files written by the CLI stay out of ./var."""
    home = tmp_path / "home"
    monkeypatch.setenv("BROKEFORGE_HOME", str(home))
    return home


@pytest.fixture
def invoke(brokeforge_home: Path) -> Invoke:
    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def admin(django_user_model: Any, brokeforge_home: Path) -> Any:
    return django_user_model.objects.create_superuser("admin", password="correct horse battery staple")


@pytest.fixture
def add_server(invoke: Invoke, admin: Any) -> Callable[..., dict[str, Any]]:
    def add(name: str = "web-1", ip: str = "203.0.113.10", *extra: str) -> dict[str, Any]:
        result = invoke("servers", "add", "--name", name, "--ip", ip, "--json", *extra)
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    return add
