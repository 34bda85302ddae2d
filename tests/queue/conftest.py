"""Real worker processes on the test database (SQLite file, or PostgreSQL in CI's second pass)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from brokeforge.actions import servers as server_actions
from brokeforge.servers.models import Server
from tests.workers import REPO, Workers

# Short heartbeats so a killed worker is noticed in seconds, not the production 30.
STALL_AFTER_SECONDS = "6"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db: None, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "BROKEFORGE_DATABASE_URL": database_url(),
        "BROKEFORGE_HOME": str(settings.HOME),
        "BROKEFORGE_JOB_HEARTBEAT": "1",
        "BROKEFORGE_JOB_STALL_AFTER": STALL_AFTER_SECONDS,
        "PYTHONPATH": str(REPO),
    }
    workers = Workers(env, tmp_path)
    yield workers.start
    workers.stop()


@pytest.fixture
def make_server(owner: Any) -> Callable[[str], Server]:
    def make(name: str) -> Server:
        # Documentation addresses: nothing is ever sent to them, these jobs do not use SSH.
        return server_actions.add_server(owner, name, f"192.0.2.{Server.objects.count() + 10}")

    return make
