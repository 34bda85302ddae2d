"""Real worker processes on the test database (SQLite file, or PostgreSQL in CI's second pass)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from brokeforge.actions import servers as server_actions
from brokeforge.servers.models import Server
from tests.workers import STALL_AFTER_SECONDS, database_url, start_worker

__all__ = ["STALL_AFTER_SECONDS", "database_url", "start_worker"]


@pytest.fixture
def make_server(owner: Any) -> Callable[[str], Server]:
    def make(name: str) -> Server:
        # Documentation addresses: nothing is ever sent to them, these jobs do not use SSH.
        return server_actions.add_server(owner, name, f"192.0.2.{Server.objects.count() + 10}")

    return make
