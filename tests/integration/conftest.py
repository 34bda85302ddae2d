"""Fixtures for tests that talk to real servers from inside the test process."""

from __future__ import annotations

from typing import Any

import pytest

from brokeforge.actions import servers as server_actions
from brokeforge.servers.models import Server
from tests.testbed import BootedServer
from tests.workers import start_worker

__all__ = ["start_worker"]


@pytest.fixture
def connected_server(owner: Any, debian_server: BootedServer) -> Server:
    """A Server row for a booted test server, its panel keys authorised with the test bed's root key."""
    server = server_actions.add_server(owner, "web-1", debian_server.ip)
    job = server_actions.authorize_with_root_key(server, debian_server.root_key_path.read_text())
    assert job.status == "succeeded", job.error
    server.refresh_from_db()
    return server
