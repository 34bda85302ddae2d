"""Only one package job runs on a server at a time; jobs on other servers run alongside."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from itertools import pairwise

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus, JobStep, ServerLock
from brokeforge.servers.models import Server
from tests.queue.napping import NapJob

pytestmark = pytest.mark.django_db(transaction=True)


def nap_interval(job: Job) -> tuple[float, float]:
    step = JobStep.objects.get(job=job, description__startswith="nap ")
    assert step.finished_at is not None
    return step.started_at.timestamp(), step.finished_at.timestamp()


def test_jobs_on_one_server_wait_their_turn(
    start_worker: Callable[[], subprocess.Popen[bytes]], make_server: Callable[[str], Server]
) -> None:
    busy, other = make_server("busy"), make_server("other")
    same_server = [queue.dispatch(NapJob, busy, 1.5) for _ in range(3)]
    elsewhere = queue.dispatch(NapJob, other, 1.5)
    start_worker()
    start_worker()

    finished = [queue.wait(job, timeout=60) for job in [*same_server, elsewhere]]
    assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * 4, [j.error for j in finished]

    intervals = sorted(nap_interval(job) for job in same_server)
    for (_, end), (start, _) in pairwise(intervals):
        assert start >= end, "two jobs worked on the same server at once"
    other_start, other_end = nap_interval(elsewhere)
    assert any(start < other_end and other_start < end for start, end in intervals), (
        "a job on another server waited although its server was free"
    )
    assert not ServerLock.objects.exists()
