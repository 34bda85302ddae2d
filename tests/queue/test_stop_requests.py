"""A user stops a job: a queued one ends without running; a running one is stopped by its own
heartbeat before its next step, and frees its server for the next job. A deployment never stays
"running" once its job stalled."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus, JobStep
from brokeforge.jobs.reaper import reap_stalled_jobs
from brokeforge.lib.enums import DeploymentStatus, DeploymentTrigger
from brokeforge.servers.models import Server
from brokeforge.sites.models import Deployment, Site
from tests.queue.napping import NapJob
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_queued_job_stopped_never_runs(make_server: Callable[[str], Server]) -> None:
    job = queue.dispatch(NapJob, make_server("quiet"), 0.1)
    assert queue.request_stop(job, "cancelled by alice")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "Stopped before it ran: cancelled by alice."
    assert not queue.request_stop(job, "again")  # it has ended: nothing to stop


def test_a_running_job_stops_before_its_next_step_and_frees_the_server(
    start_worker: Callable[[], subprocess.Popen[bytes]], make_server: Callable[[str], Server]
) -> None:
    server = make_server("busy")
    running = queue.dispatch(NapJob, server, 3)
    after = queue.dispatch(NapJob, server, 0.1)
    start_worker()
    wait_for(lambda: Job.objects.get(pk=running.pk).status == JobStatus.RUNNING, 30, "the job to start")
    assert queue.request_stop(running, "cancelled by alice")

    running = queue.wait(running, timeout=30)
    assert running.status == JobStatus.FAILED and "cancelled by alice" in running.error
    # The nap that was under way ended; the step after it never ran.
    assert not JobStep.objects.filter(job=running, description__startswith="Rested").exists()
    assert queue.wait(after, timeout=30).status == JobStatus.SUCCEEDED


def test_a_deployment_whose_job_stalled_is_failed_with_it(make_server: Callable[[str], Server]) -> None:
    server = make_server("web")
    site = Site.objects.create(server=server, domain="a.example.com", system_user="a_example_com")
    job = queue.create_job(NapJob, server, 1)
    queue.acquire_lock(job)
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALL_AFTER_SECONDS + 5)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    deployment = Deployment.objects.create(
        site=site, job_id=job.pk, trigger=DeploymentTrigger.MANUAL, status=DeploymentStatus.RUNNING
    )

    assert reap_stalled_jobs() == [job.pk]

    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.FAILED and deployment.finished_at is not None
    assert "stopped sending heartbeats" in deployment.reason
