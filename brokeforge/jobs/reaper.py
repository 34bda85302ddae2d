"""The reaper: a job whose heartbeat stopped (its worker was killed) is marked stalled.

Stalling releases the server's lock, so the next job can run, and closes the steps that were
running, so nothing shows as "running" forever. A stalled job can be retried. A lock left behind
by a job that is not running (its worker could not record its end) is freed too.

Freeing a lock never lets two jobs work on a server at once: a stalled worker that comes back
is stopped by its fence before its next step, and the server itself refuses its commands once
the next job holds the server's lease (queue.py, journal.py, packages/base/lease.py).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from brokeforge.jobs import periodic
from brokeforge.jobs.models import Job, JobStatus, JobStep, ServerLock, StepStatus
from brokeforge.jobs.queue import release_lock
from brokeforge.lib.enums import CertificateStatus, DeploymentStatus, ProvisionStatus
from brokeforge.sites.models import Certificate, Deployment

log = logging.getLogger(__name__)

STALLED_MESSAGE = (
    "The worker running this job stopped sending heartbeats (it was killed or its machine went "
    "down). What ran is in the steps above; retry to carry on from the step that was interrupted."
)


def _fail_interrupted_deployments(job: Job) -> None:
    """A deployment never stays "running" after its job: users of other panels know deploys
    stuck in "deploying" forever. What is live is read again by the next deployment."""
    Deployment.objects.filter(job_id=job.pk, status__in=DeploymentStatus.active()).update(
        status=DeploymentStatus.FAILED,
        reason=f"{STALLED_MESSAGE} The release that is live was not checked afterwards.",
        finished_at=timezone.now(),
    )


def _fail_interrupted_certificates(job: Job) -> None:
    """A certificate never stays "installing" after its job; the vhost kept the one it served."""
    Certificate.objects.filter(job_id=job.pk, status__in=CertificateStatus.pending()).update(
        status=CertificateStatus.FAILED,
        error=f"{STALLED_MESSAGE} Check what the site serves with a refresh before trying again.",
        updated_at=timezone.now(),
    )


def reap_stalled_jobs() -> list[int]:
    """Mark stalled every running job silent for JOB_STALL_AFTER_SECONDS. Returns their ids."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALL_AFTER_SECONDS)
    reaped = []
    for job in Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).select_related("server"):
        with transaction.atomic():
            if not Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.STALLED, error=STALLED_MESSAGE, finished_at=timezone.now()
            ):
                continue  # another reaper, or the job itself, got there first
            JobStep.objects.filter(job=job, status=StepStatus.RUNNING).update(
                status=StepStatus.FAILED, finished_at=timezone.now()
            )
            release_lock(job)
            if job.task_id:
                DBTaskResult.objects.filter(id=job.task_id, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.FAILED, finished_at=timezone.now()
                )
            if job.server and job.server.provision_status == ProvisionStatus.INSTALLING:
                job.server.fail_interrupted_provisioning()
            _fail_interrupted_deployments(job)
            _fail_interrupted_certificates(job)
        log.warning("Job #%s stalled: no heartbeat since %s", job.pk, job.heartbeat_at)
        reaped.append(job.pk)
    return reaped


def free_orphaned_locks() -> list[int]:
    """Free every server lock whose job is not running; returns those jobs' ids."""
    freed = []
    for lock in ServerLock.objects.exclude(job__status=JobStatus.RUNNING).select_related("job"):
        release_lock(lock.job)
        log.warning(
            "Freed the lock of job #%s on server #%s: the job is %s",
            lock.job_id,
            lock.server_id,
            lock.job.status,
        )
        freed.append(lock.job_id)
    return freed


def reap() -> None:
    reap_stalled_jobs()
    free_orphaned_locks()
    periodic.check_due_certificates()
    periodic.check_due_backups()


class ReaperThread(threading.Thread):
    """Runs the reaper every few seconds beside a worker or the panel."""

    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="reaper", daemon=True)
        # Often enough that a stalled job is reaped well within a minute of its last heartbeat.
        self.interval = interval or min(10.0, settings.JOB_STALL_AFTER_SECONDS / 3)
        self._stop = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    reap()
                except Exception:
                    log.exception("Reaper pass failed; trying again in %ss", self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
