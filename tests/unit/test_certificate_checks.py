"""The panel reads every active certificate again by itself twice a day (jobs/periodic.py), so a
renewal certbot's timer failed on the server is flagged without anyone asking: each due check is
queued once, however many workers run the pass, and only for certificates read before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brokeforge.jobs.models import Job
from brokeforge.jobs.periodic import check_due_certificates
from brokeforge.lib.enums import CertificateStatus, SiteStatus
from brokeforge.servers.models import Server
from brokeforge.sites.models import CHECK_INTERVAL, Certificate, Site


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(server=server, domain="shop.test", system_user="shop_test", status="active")


def _certificate(
    site: Site, status: str = CertificateStatus.ACTIVE, due_in: timedelta | None = None
) -> Certificate:
    next_check = None if due_in is None else timezone.now() + due_in
    return Certificate.objects.create(site=site, kind="acme", status=status, next_check_at=next_check)


def test_a_due_certificate_is_checked_once(site: Site) -> None:
    certificate = _certificate(site, due_in=timedelta(minutes=-1))
    assert check_due_certificates() == [certificate.pk]
    assert check_due_certificates() == []  # claimed: the next pass (or worker) does not queue it again
    (job,) = Job.objects.all()
    assert job.label == f"Check the certificate of shop.test (certificate #{certificate.pk})"
    certificate.refresh_from_db()
    assert certificate.next_check_at is not None
    assert certificate.next_check_at - timezone.now() > CHECK_INTERVAL - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "due_in", "site_status"),
    [
        (CertificateStatus.ACTIVE, timedelta(hours=1), SiteStatus.ACTIVE),  # not yet due
        (CertificateStatus.ACTIVE, None, SiteStatus.ACTIVE),  # never read: nothing to check against
        (CertificateStatus.REPLACED, timedelta(hours=-1), SiteStatus.ACTIVE),
        (CertificateStatus.FAILED, timedelta(hours=-1), SiteStatus.ACTIVE),
        (CertificateStatus.ACTIVE, timedelta(hours=-1), SiteStatus.REMOVING),
    ],
)
def test_nothing_else_is_checked(site: Site, status: str, due_in: timedelta | None, site_status: str) -> None:
    Site.objects.filter(pk=site.pk).update(status=site_status)
    _certificate(site, status, due_in)
    assert check_due_certificates() == []
    assert not Job.objects.exists()
