"""Fixtures of the unit tests: no server, no SSH; a throwaway data directory per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from brokeforge.lib import crypto
from brokeforge.packages.base.runner import current_runner
from brokeforge.servers.models import Server
from tests.unit.helpers import TableRunner


@pytest.fixture(autouse=True)
def brokeforge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Encryption keys go to a fresh directory, never the checkout's var/."""
    home = tmp_path / "home"
    monkeypatch.setenv("BROKEFORGE_HOME", str(home))
    monkeypatch.setattr(crypto, "_cache", None)
    yield home


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("alice", password="correct horse battery")


@pytest.fixture
def server(owner: User) -> Server:
    return Server.objects.create(owner=owner, name="web-1", public_ip="203.0.113.10", ssh_port=22)


@pytest.fixture
def unsaved_server() -> Server:
    """Command generation needs no database: a server that was never saved will do."""
    return Server(name="web-1", public_ip="203.0.113.10", ssh_port=22)


@pytest.fixture
def runner() -> Iterator[TableRunner]:
    table = TableRunner({"ufw status": "Status: active\n--\n80/tcp    ALLOW    Anywhere    # HTTP\n"})
    token = current_runner.set(table)
    yield table
    current_runner.reset(token)
