"""A worker killed mid-job: the job is marked stalled, the lock released, a retry finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus, JobStep, ServerLock, StepStatus
from brokeforge.servers.models import Server
from tests.queue.napping import NapJob
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_killed_worker_leaves_nothing_locked_or_running(
    start_worker: Callable[[], subprocess.Popen[bytes]], make_server: Callable[[str], Server]
) -> None:
    server = make_server("victim")
    long_job = queue.dispatch(NapJob, server, 15)
    waiting_job = queue.dispatch(NapJob, server, 0.1)
    worker = start_worker()
    wait_for(lambda: Job.objects.get(pk=long_job.pk).status == JobStatus.RUNNING, 30, "the job to start")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = time.monotonic()

    start_worker()  # a surviving worker: its reaper notices, then it runs the waiting job
    wait_for(lambda: Job.objects.get(pk=long_job.pk).status == JobStatus.STALLED, 60, "the job to stall")
    assert time.monotonic() - killed_at < 60
    assert not JobStep.objects.filter(job=long_job, status=StepStatus.RUNNING).exists()
    assert queue.wait(waiting_job, timeout=60).status == JobStatus.SUCCEEDED

    retried = queue.retry(Job.objects.get(pk=long_job.pk))
    assert retried.attempt == 2 and retried.retry_of_id == long_job.pk
    assert queue.wait(retried, timeout=60).status == JobStatus.SUCCEEDED
    assert not ServerLock.objects.exists()
