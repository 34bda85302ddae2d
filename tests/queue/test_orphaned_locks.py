"""The reaper frees a lock whose job is not running, and wakes the job waiting for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django_tasks_db.models import DBTaskResult

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus, ServerLock
from brokeforge.jobs.reaper import free_orphaned_locks
from brokeforge.servers.models import Server
from tests.queue.napping import NapJob

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lock_left_by_a_job_that_ended_is_freed_and_the_next_job_woken(
    make_server: Callable[[str], Server],
) -> None:
    server = make_server("left-locked")
    # A job that ended while its worker could not let the lock go (the database was down then).
    ended = queue.create_job(NapJob, server, 0.1)
    Job.objects.filter(pk=ended.pk).update(status=JobStatus.FAILED)
    ServerLock.objects.create(server=server, job=ended)
    parked = queue.create_job(NapJob, server, 0.1)
    Job.objects.filter(pk=parked.pk).update(
        waiting_for=f"waiting for job #{ended.pk} to finish on this server"
    )
    running = queue.create_job(NapJob, make_server("busy"), 0.1)
    queue.acquire_lock(running)  # a running job keeps its lock

    assert free_orphaned_locks() == [ended.pk]

    assert list(ServerLock.objects.values_list("job_id", flat=True)) == [running.pk]
    parked.refresh_from_db()
    assert parked.waiting_for == "" and parked.status == JobStatus.QUEUED
    assert DBTaskResult.objects.filter(args_kwargs__args=[parked.pk]).count() == 1
