"""Work the panel does by itself, on a clock, from the workers' maintenance pass (reaper.py).

Every worker runs the pass, so each piece of work is claimed by one conditional update before it
is queued: two workers never queue the same thing twice."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from brokeforge.databases.models import Backup, BackupSchedule, backup_file_name
from brokeforge.jobs import queue
from brokeforge.lib import cron
from brokeforge.lib.enums import BackupTrigger, CertificateStatus, DatabaseStatus, PackageName, SiteStatus
from brokeforge.packages import registry
from brokeforge.sites.models import CHECK_INTERVAL, Certificate

log = logging.getLogger(__name__)


def check_due_certificates(now: datetime | None = None) -> list[int]:
    """Queue a check of every active certificate whose next check is due: what the site serves
    and what certbot's renewals did are read again. Returns the certificates' ids."""
    now = now or timezone.now()
    due = Certificate.objects.filter(
        status=CertificateStatus.ACTIVE, site__status=SiteStatus.ACTIVE, next_check_at__lte=now
    ).select_related("site")
    job_class = registry.service(PackageName.SSL_REFRESH).installer_job
    queued = []
    for certificate in due:
        claim = Certificate.objects.filter(pk=certificate.pk, next_check_at=certificate.next_check_at)
        if not claim.update(next_check_at=now + CHECK_INTERVAL):
            continue  # another worker took it
        try:
            queue.dispatch(job_class, certificate.site, certificate.pk)
        except queue.ServerGone:
            continue
        queued.append(certificate.pk)
    if queued:
        log.info("Queued the periodic check of certificates %s", queued)
    return queued


def check_due_backups(now: datetime | None = None) -> list[int]:
    """Queue the scheduled backups whose time has come; returns the new backups' ids. A schedule
    is moved to its next run time by one conditional update first (the claim), so a backup missed
    while no worker ran is taken once when one is back, not once per missed run."""
    now = now or timezone.now()
    due = BackupSchedule.objects.filter(
        next_run_at__lte=now, database__status=DatabaseStatus.READY
    ).select_related("database__server")
    job_class = registry.service(PackageName.DATABASE_BACKUP).installer_job
    queued = []
    for schedule in due:
        (next_run,) = cron.next_runs(cron.parse(schedule.cron), now, 1)
        claim = BackupSchedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at)
        if not claim.update(next_run_at=next_run):
            continue  # another worker took it
        database = schedule.database
        with transaction.atomic():
            backup = Backup.objects.create(
                server=database.server,
                database=database,
                engine=database.engine,
                database_name=database.name,
                trigger=BackupTrigger.SCHEDULE,
                file_name="",
            )
            backup.file_name = backup_file_name(backup, now)
            try:
                job = queue.dispatch(job_class, database.server, backup.pk)
            except queue.ServerGone:
                continue
            backup.job_id = job.pk
            backup.save(update_fields=["file_name", "job_id"])
        queued.append(backup.pk)
    if queued:
        log.info("Queued the scheduled backups %s", queued)
    return queued
