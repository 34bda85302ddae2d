"""The panel as a user runs it: the `brokeforge` CLI and worker processes on a fresh data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.workers import REPO, Workers


@dataclass
class Panel:
    home: Path
    env: dict[str, str]
    workers: Workers

    def cli(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "brokeforge.cli", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"brokeforge {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.workers.start()


@pytest.fixture
def panel(tmp_path: Path) -> Iterator[Panel]:
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BROKEFORGE_", "DJANGO_"))},
        "BROKEFORGE_HOME": str(home),
        "BROKEFORGE_SSH_CONNECT_TIMEOUT": "5",
        "BROKEFORGE_JOB_HEARTBEAT": "1",
        "BROKEFORGE_JOB_STALL_AFTER": "6",
        "DJANGO_SUPERUSER_USERNAME": "admin",
        "DJANGO_SUPERUSER_PASSWORD": "e2e-admin-password",
        "DJANGO_SUPERUSER_EMAIL": "admin@example.invalid",
        "PYTHONPATH": str(REPO),
    }
    instance = Panel(home=home, env=env, workers=Workers(env, tmp_path))
    instance.cli("migrate")
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield instance
    finally:
        instance.workers.stop()
