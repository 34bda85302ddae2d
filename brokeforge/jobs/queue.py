"""Queueing and running package jobs on the Django Tasks API, one job per server at a time.

dispatch() writes a Job row and enqueues `run_job` with its id. A worker picks it up, takes the
server's lock (or re-enqueues itself a moment later while another job holds it), runs the job's
handle() with a JournalRunner in context and a heartbeat thread beside it, and records the
outcome. The reaper (reaper.py) deals with workers that die in the middle.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from brokeforge.jobs.journal import JournalRunner
from brokeforge.jobs.models import Job, JobStatus, JobStep, ServerLock, StepStatus
from brokeforge.lib.enums import CredentialType
from brokeforge.lib.redact import redact, secret_scope
from brokeforge.packages.base.job import Argument, PackageJob
from brokeforge.packages.base.runner import current_runner
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

log = logging.getLogger(__name__)

# How soon a job waiting for its server's lock looks again.
LOCK_RETRY_SECONDS = 2.0


class ServerBusy(Exception):
    pass


def job_path(job_class: type[PackageJob]) -> str:
    return f"{job_class.__module__}.{job_class.__qualname__}"


Target = Server | Site


def create_job(
    job_class: type[PackageJob],
    target: Target,
    *arguments: Argument,
    started_by: User | None = None,
    retry_of: Job | None = None,
) -> Job:
    """A journal row for a job on a server, or on a site (a SitePackageJob)."""
    instance = job_class(target, *arguments)  # type: ignore[arg-type]  # validates before storing
    site = target if isinstance(target, Site) else None
    server = instance.server
    return Job.objects.create(
        kind=job_path(job_class),
        label=instance.label(),
        arguments=list(arguments),
        server=server,
        server_name=server.name,
        site=site,
        site_domain=site.domain if site else "",
        started_by=started_by,
        attempt=retry_of.attempt + 1 if retry_of else 1,
        retry_of=retry_of,
    )


def dispatch(
    job_class: type[PackageJob],
    target: Target,
    *arguments: Argument,
    started_by: User | None = None,
    retry_of: Job | None = None,
) -> Job:
    """Queue a job for the workers. Returns its journal entry."""
    job = create_job(job_class, target, *arguments, started_by=started_by, retry_of=retry_of)
    _enqueue(job)
    return job


def _enqueue(job: Job, delay: float = 0) -> None:
    queued = run_job
    if delay:
        queued = run_job.using(run_after=timezone.now() + timedelta(seconds=delay))
    result = queued.enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))


def retry(job: Job, started_by: User | None = None) -> Job:
    """A new attempt of a failed or stalled job; it skips the commands that already succeeded."""
    if job.status not in (JobStatus.FAILED, JobStatus.STALLED):
        raise ValueError(f"Job #{job.pk} is {job.status}; only failed or stalled jobs can be retried.")
    job_class: type[PackageJob] = import_string(job.kind)
    target = job_class.target(job.server, job.site)
    if target is None:
        where = f"site {job.site_domain}" if job.site_domain else f"server {job.server_name}"
        raise ValueError(f"Job #{job.pk} ran on {where}, which was deleted; it cannot be retried.")
    return dispatch(job_class, target, *job.arguments, started_by=started_by, retry_of=job)


@task()
def run_job(job_id: int) -> None:
    """The one task the queue knows: run journal job `job_id` when its server is free."""
    job = Job.objects.select_related("server").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return  # already run, reaped, or superseded
    if job.server_id is None:
        # Its server was deleted while it waited: it can never run, so it must not wait forever.
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED,
            error=f"Server {job.server_name} was deleted before this job could run; nothing was done.",
            finished_at=timezone.now(),
        )
        return
    try:
        acquire_lock(job)
    except ServerBusy as busy:
        Job.objects.filter(pk=job.pk).update(waiting_for=str(busy))
        _enqueue(job, delay=LOCK_RETRY_SECONDS)
        return
    try:
        execute(job)
    finally:
        release_lock(job)


def run_inline(
    job_class: type[PackageJob],
    target: Target,
    *arguments: Argument,
    started_by: User | None = None,
    private_key_overrides: dict[CredentialType, str] | None = None,
) -> Job:
    """Run a job now, in this process, still journalled and under the server's lock.

    For steps that need a secret we must not store in the queue, such as a root key a user
    supplies once to authorise the panel.
    """
    job = create_job(job_class, target, *arguments, started_by=started_by)
    acquire_lock(job)
    try:
        execute(job, private_key_overrides=private_key_overrides)
    finally:
        release_lock(job)
    job.refresh_from_db()
    return job


def acquire_lock(job: Job) -> None:
    assert job.server_id is not None
    try:
        with transaction.atomic():
            ServerLock.objects.create(server_id=job.server_id, job=job)
    except IntegrityError:
        holder = ServerLock.objects.filter(server_id=job.server_id).values_list("job_id", flat=True)
        raise ServerBusy(f"waiting for job #{holder.first()} to finish on this server") from None


def release_lock(job: Job) -> None:
    ServerLock.objects.filter(job=job).delete()


def execute(job: Job, private_key_overrides: dict[CredentialType, str] | None = None) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        waiting_for="",
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    job.refresh_from_db()
    runner = JournalRunner(
        job, succeeded=_succeeded_commands(job.retry_of), private_key_overrides=private_key_overrides
    )
    token = current_runner.set(runner)
    heartbeat = _Heartbeat(job.pk)
    heartbeat.start()
    status, error = JobStatus.SUCCEEDED, ""
    try:
        # Log records of this thread are masked with the job's secrets too.
        with secret_scope(runner.secrets):
            _job_instance(job).handle()
    except Exception as exc:
        status, error = JobStatus.FAILED, redact(str(exc) or type(exc).__name__, runner.secrets)
        log.warning("Job #%s failed: %s", job.pk, error)
    finally:
        heartbeat.stop()
        runner.close()
        current_runner.reset(token)
    # A job the reaper already declared stalled keeps that verdict.
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=status, error=error, finished_at=timezone.now()
    )


def _job_instance(job: Job) -> PackageJob:
    job_class: type[PackageJob] = import_string(job.kind)
    target = job_class.target(job.server, job.site)
    if target is None:
        raise ValueError(f"The {'site' if job.site_domain else 'server'} of this job was deleted.")
    return job_class(target, *job.arguments)  # type: ignore[arg-type]


def _succeeded_commands(previous: Job | None) -> dict[str, str]:
    """{step key: command hash} of the commands that succeeded (or were skipped) in `previous`."""
    if previous is None:
        return {}
    steps = JobStep.objects.filter(
        job=previous, is_command=True, status__in=[StepStatus.SUCCEEDED, StepStatus.SKIPPED]
    )
    return dict(steps.values_list("key", "command_hash"))


class _Heartbeat:
    """Proves the job's worker is alive; the reaper treats a silent job as stalled."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                Job.objects.filter(pk=self.job_id).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own database connection


def wait(job: Job, poll: float = 0.5, timeout: float | None = None) -> Job:
    """Block until the job is no longer queued or running."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        close_old_connections()
        job.refresh_from_db()
        if not job.is_active:
            return job
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"Job #{job.pk} still {job.status} after {timeout}s")
        time.sleep(poll)
