"""Queueing and running package jobs on the Django Tasks API, one job per server at a time.

dispatch() writes a Job row and enqueues `run_job` with its id. A worker picks it up and takes
the server's lock; while another job holds it, the job is parked (no task waits for it) and the
holder wakes the oldest parked job when it lets the lock go. The worker runs the job's handle()
with a JournalRunner in context and a heartbeat thread beside it, and records the outcome. The
reaper (reaper.py) deals with workers that die or hang in the middle.

Every change to a server's lock happens in a transaction that first locks the server's row, so
taking, parking, releasing and deleting the server are one at a time per server.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, close_old_connections, connection, transaction
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


class ServerBusy(Exception):
    pass


class ServerGone(ValueError):
    """The job's server was deleted: nothing can run on it."""


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
    """Queue a job for the workers. Returns its journal entry.

    Raises ServerGone if the server was deleted meanwhile: the server's row is locked while the
    job is written, so a deletion comes either before (no job) or after (it sees the job)."""
    with transaction.atomic():
        _lock_target_server(target)
        job = create_job(job_class, target, *arguments, started_by=started_by, retry_of=retry_of)
        _enqueue(job)
    return job


def _lock_target_server(target: Target) -> None:
    server = target.server if isinstance(target, Site) else target
    _lock_server_row(server.pk, f"Server {server.name} was deleted; nothing was queued.")


def _lock_server_row(server_id: int | None, gone: str = "The server was deleted.") -> int:
    """Lock the server's row until the transaction ends; ServerGone(gone) if it no longer exists.
    (SQLite has no row locks, but every transaction there takes the write lock up front.)"""
    if server_id is None or not list(
        Server.objects.select_for_update().filter(pk=server_id).values_list("pk", flat=True)
    ):
        raise ServerGone(gone)
    return server_id


def _enqueue(job: Job) -> None:
    result = run_job.enqueue(job.pk)
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
    """The one task the queue knows: run journal job `job_id`, or park it while its server is busy."""
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return  # already run, reaped, or superseded
    try:
        if not _take_lock(job, park=True):
            return  # parked: the job holding the lock wakes it
    except ServerGone:
        # Its server was deleted while it waited: it can never run, so it must not wait forever.
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED,
            error=f"Server {job.server_name} was deleted before this job could run; nothing was done.",
            finished_at=timezone.now(),
        )
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
    with transaction.atomic():
        _lock_target_server(target)
        job = create_job(job_class, target, *arguments, started_by=started_by)
    try:
        acquire_lock(job)
    except (ServerBusy, ServerGone) as exc:
        # Never run, and nothing will run it later: it ends here, saying why.
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=f"Not run: {exc}", finished_at=timezone.now()
        )
        raise
    try:
        execute(job, private_key_overrides=private_key_overrides)
    finally:
        release_lock(job)
    job.refresh_from_db()
    return job


def acquire_lock(job: Job) -> None:
    """Take the job's server lock now, and mark the job running; ServerBusy if another job has it."""
    if not _take_lock(job, park=False):
        raise ServerBusy(f"job #{job.pk} is no longer queued")


def _take_lock(job: Job, *, park: bool) -> bool:
    """Take the server's lock for a queued job and mark it running, in one transaction (the
    reaper frees any lock whose job is not running). If another job holds the lock: park this
    one (in the same transaction, so the holder's release cannot slip in between and miss it)
    and return False, or raise ServerBusy when not parking. False too if the job is not queued."""
    with transaction.atomic():
        server_id = _lock_server_row(job.server_id)
        holder = ServerLock.objects.filter(server_id=server_id).values_list("job_id", flat=True).first()
        if holder is not None:
            busy = f"waiting for job #{holder} to finish on this server"
            if not park:
                raise ServerBusy(busy)
            Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(waiting_for=busy)
            return False
        now = timezone.now()
        started = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            waiting_for="",
            worker=f"{socket.gethostname()}:{os.getpid()}",
        )
        if not started:
            return False  # failed or run by someone else meanwhile: nothing to do
        ServerLock.objects.create(server_id=server_id, job=job)
    job.refresh_from_db()
    return True


def release_lock(job: Job) -> None:
    """Let the job's server lock go, and wake the oldest job parked waiting for it."""
    with transaction.atomic():
        if ServerLock.objects.filter(job=job).delete()[0] and job.server_id is not None:
            wake_parked(job.server_id)


def wake_parked(server_id: int) -> Job | None:
    """Enqueue the oldest job parked on the server (it takes the lock, or parks again)."""
    parked = (
        Job.objects.filter(server_id=server_id, status=JobStatus.QUEUED)
        .exclude(waiting_for="")
        .order_by("pk")
        .first()
    )
    if parked is not None:
        # Not parked any more: it has a task again, which will take the lock or park it anew.
        Job.objects.filter(pk=parked.pk).update(waiting_for="")
        _enqueue(parked)
    return parked


def execute(job: Job, private_key_overrides: dict[CredentialType, str] | None = None) -> None:
    """Run a job whose lock was taken (it is marked running): its handle(), with a journal and a
    heartbeat, and record how it ended."""
    job_class: type[PackageJob] = import_string(job.kind)
    runner = JournalRunner(
        job,
        succeeded=_succeeded_commands(job.retry_of),
        private_key_overrides=private_key_overrides,
        time_limit=job_class.timeout,
    )
    token = current_runner.set(runner)
    heartbeat = _Heartbeat(job.pk, on_lost=runner.stop)
    heartbeat.start()
    status, error = JobStatus.SUCCEEDED, ""
    try:
        # Log records of this thread are masked with the job's secrets too.
        with secret_scope(runner.secrets):
            _job_instance(job, job_class).handle()
    except Exception as exc:
        status, error = JobStatus.FAILED, redact(str(exc) or type(exc).__name__, runner.secrets)
        log.warning("Job #%s failed: %s", job.pk, error)
    finally:
        heartbeat.stop()
        runner.close()
        current_runner.reset(token)
    try:
        # A job the reaper already declared stalled keeps that verdict.
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=status, error=error, finished_at=timezone.now()
        )
    except DatabaseError:
        # The journal is out of reach: the job stays "running" with no heartbeat, and the reaper
        # declares it stalled once the database is back. Nothing more runs on the server.
        log.exception("Job #%s ended (%s) but its end could not be recorded", job.pk, status)
        raise


def _job_instance(job: Job, job_class: type[PackageJob]) -> PackageJob:
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


def _write_heartbeat(job_id: int) -> str | None:
    """One heartbeat. None while the job may go on; otherwise why it must stop: it is no longer
    running under its server's lock, or a user asked it to stop."""
    if Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, lock__isnull=False, stop_requested="").update(
        heartbeat_at=timezone.now()
    ):
        return None
    requested = Job.objects.filter(pk=job_id).values_list("stop_requested", flat=True).first()
    return requested or "it was declared stalled and its server's lock freed"


def request_stop(job: Job, reason: str) -> bool:
    """Stop a job: a queued one ends now without running; a running one is stopped by its own
    heartbeat within one interval, the command it runs killed on the server. False if it had
    already ended."""
    with transaction.atomic():
        if Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED, error=f"Stopped before it ran: {reason}.", finished_at=timezone.now()
        ):
            return True
        return bool(
            Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, stop_requested="").update(
                stop_requested=reason
            )
        )


def _retry_delay(failures: int) -> float:
    """How long to wait before the next heartbeat: the interval, or sooner after a failure,
    backing off from a quarter of a second up to the interval."""
    interval = settings.JOB_HEARTBEAT_SECONDS
    return interval if failures == 0 else min(interval, 0.25 * 2 ** (failures - 1))


class _Heartbeat:
    """Proves the job's worker is alive; the reaper treats a silent job as stalled.

    A failed write (a PostgreSQL failover, a locked SQLite file) is retried with backoff. When
    the next try would come after the stall limit less one interval, the reaper may soon free
    the server for another job: the job is stopped first (on_lost: its command is stopped on the
    server). It is stopped too if a write finds the job no longer running under its lock, or
    finds that a user asked it to stop (request_stop).
    """

    def __init__(self, job_id: int, on_lost: Callable[[str], None]) -> None:
        self.job_id = job_id
        self.on_lost = on_lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        give_up_after = settings.JOB_STALL_AFTER_SECONDS - settings.JOB_HEARTBEAT_SECONDS
        last_written, failures = time.monotonic(), 0
        try:
            while not self._stop.wait(_retry_delay(failures)):
                try:
                    why_stop = _write_heartbeat(self.job_id)
                except DatabaseError as exc:
                    failures += 1
                    silent = time.monotonic() - last_written
                    with suppress(DatabaseError):  # the next attempt opens a fresh connection
                        connection.close()
                    if silent + _retry_delay(failures) >= give_up_after:  # the next try would be late
                        self.on_lost(f"its heartbeat could not be written for {silent:.0f}s ({exc})")
                        return
                    log.warning("Job #%s: heartbeat failed (%s); retrying", self.job_id, exc)
                    continue
                if why_stop is not None:
                    self.on_lost(why_stop)
                    return
                last_written, failures = time.monotonic(), 0
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
