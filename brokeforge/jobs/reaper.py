"""The reaper: a job whose heartbeat stopped (its worker was killed) is marked stalled.

Stalling releases the server's lock, so the next job can run, and closes the steps that were
running, so nothing shows as "running" forever. A stalled job can be retried.
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

from brokeforge.jobs.models import Job, JobStatus, JobStep, ServerLock, StepStatus
from brokeforge.lib.enums import ProvisionStatus

log = logging.getLogger(__name__)

STALLED_MESSAGE = (
    "The worker running this job stopped sending heartbeats (it was killed or its machine went "
    "down). What ran is in the steps above; retry to carry on from the step that was interrupted."
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
            ServerLock.objects.filter(job=job).delete()
            if job.task_id:
                DBTaskResult.objects.filter(id=job.task_id, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.FAILED, finished_at=timezone.now()
                )
            if job.server and job.server.provision_status == ProvisionStatus.INSTALLING:
                job.server.fail_interrupted_provisioning()
        log.warning("Job #%s stalled: no heartbeat since %s", job.pk, job.heartbeat_at)
        reaped.append(job.pk)
    return reaped


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
                    reap_stalled_jobs()
                except Exception:
                    log.exception("Reaper pass failed; trying again in %ss", self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
