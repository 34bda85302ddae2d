"""A job waiting for its server's lock is parked: no task polls for it, the holder wakes it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from itertools import pairwise

import pytest
from django_tasks_db.models import DBTaskResult

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.servers.models import Server
from tests.queue.napping import NapJob
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def tasks_of(job: Job) -> int:
    return DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).count()


def test_waiting_jobs_are_parked_and_woken_in_turn(
    start_worker: Callable[[], subprocess.Popen[bytes]], make_server: Callable[[str], Server]
) -> None:
    server = make_server("busy")
    holder = queue.dispatch(NapJob, server, 6)
    start_worker()
    wait_for(lambda: Job.objects.get(pk=holder.pk).status == JobStatus.RUNNING, 30, "the first job to start")
    waiting = [queue.dispatch(NapJob, server, 0.5) for _ in range(3)]
    start_worker()
    for job in waiting:
        wait_for(lambda job=job: Job.objects.get(pk=job.pk).waiting_for != "", 30, f"job #{job.pk} to park")
        assert f"waiting for job #{holder.pk}" in Job.objects.get(pk=job.pk).waiting_for

    finished = [queue.wait(job, timeout=60) for job in [holder, *waiting]]
    assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * 4, [job.error for job in finished]
    # The first job naps 6 s; a job polling every 2 s would have written several tasks by then.
    # Parked, each has the task it was queued with and at most the one that woke it.
    assert [tasks_of(job) for job in waiting] == [2, 2, 2]
    # Woken in the order they were queued, each after the one before it ended.
    runs = sorted(finished[1:], key=lambda job: job.pk)
    for earlier, later in pairwise(runs):
        assert earlier.finished_at is not None and later.started_at is not None
        assert later.started_at >= earlier.finished_at
