"""Fixtures of the web panel's view tests: users, their servers, and journal rows written directly
(no SSH: jobs here are model rows in the states the views must show)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from brokeforge.actions import servers as server_actions
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus, JobStep, StepStatus
from brokeforge.packages.services.provision.jobs import ProvisionInstallerJob
from brokeforge.servers.models import Server

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # The login rate limiter keeps its counts in the cache; no test may inherit another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Real hashers are slow by design; these tests sign in and fail to sign in many times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user("mallory", password=PASSWORD)


@pytest.fixture
def user_client(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def server(user: User) -> Server:
    return server_actions.add_server(user, "web-1", "203.0.113.10")


@pytest.fixture
def other_server(other_user: User) -> Server:
    return server_actions.add_server(other_user, "theirs", "203.0.113.66")


def _make_job(server: Server, status: str = JobStatus.RUNNING, **fields: Any) -> Job:
    defaults: dict[str, Any] = {
        "kind": queue.job_path(ProvisionInstallerJob),
        "label": f"Provision {server.name}",
        "arguments": [server.php_version],
        "server": server,
        "server_name": server.name,
        "started_by": server.owner,
    }
    return Job.objects.create(status=status, **(defaults | fields))


def _make_step(job: Job, status: str = StepStatus.SUCCEEDED, **fields: Any) -> JobStep:
    seq = job.steps.count() + 1
    defaults: dict[str, Any] = {
        "key": f"job/provision[1]#{seq}",
        "section": "provision",
        "description": f"echo step {seq}",
        "output": f"output of step {seq}\n",
    }
    if status != StepStatus.RUNNING:
        defaults |= {"exit_code": 0, "duration_ms": 1234}
    return JobStep.objects.create(job=job, seq=seq, status=status, **(defaults | fields))


@pytest.fixture
def make_job() -> Callable[..., Job]:
    return _make_job


@pytest.fixture
def make_step() -> Callable[..., JobStep]:
    return _make_step
