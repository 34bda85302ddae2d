"""Work the panel does by itself, on a clock, from the workers' maintenance pass (reaper.py).

Every worker runs the pass, so each piece of work is claimed by one conditional update before it
is queued: two workers never queue the same thing twice."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from brokeforge.jobs import queue
from brokeforge.lib.enums import CertificateStatus, PackageName, SiteStatus
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
