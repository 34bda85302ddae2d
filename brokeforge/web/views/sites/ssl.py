"""A site's certificates: the one it serves (names, dates, what port 443 really sends, renewals,
what needs a look), issuing one over ACME, uploading one, renewing, checking again, removing,
and every attempt with the ACME server's or Nginx's own words when it failed.

Each action queues a job on the site's server and shows it live on the job's page; bad input is
refused in the form and queues nothing. An uploaded key is never sent back to the browser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions.sites import ssl as ssl_actions
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import CertificateStatus
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.sites.models import Certificate, Site
from brokeforge.web.forms import IssueCertificateForm, UploadCertificateForm
from brokeforge.web.views.scope import user_site

TEMPLATE = "web/sites/ssl/page.html"
HISTORY_LENGTH = 50


@dataclass(frozen=True)
class Served:
    """What the site's port 443 sent when last checked, against the certificate on file."""

    state: str  # unchecked | matches | other | error | none
    summary: str


@dataclass(frozen=True)
class ActiveCertificate:
    """The certificate a site serves, with what the page says about it."""

    certificate: Certificate
    days_left: int | None
    problems: list[str]
    served: Served


def site_names(site: Site) -> list[str]:
    """The names a certificate for the site covers by default, the canonical one first."""
    try:
        return SiteSpec.of(site).certificate_names()
    except ValueError:
        return list(dict.fromkeys([site.domain, *site.aliases]))


def served(certificate: Certificate) -> Served:
    if certificate.served_checked_at is None:
        return Served("unchecked", "not checked yet")
    if certificate.served_error:
        return Served("error", certificate.served_error)
    if certificate.served_matches:
        return Served("matches", "this certificate")
    if certificate.served_fingerprint:
        return Served("other", "another certificate")
    return Served("none", "no certificate")


def active_certificate(site: Site, now: datetime | None = None) -> ActiveCertificate | None:
    certificate = site.active_certificate()
    if certificate is None:
        return None
    now = now or timezone.now()
    return ActiveCertificate(
        certificate=certificate,
        days_left=certificate.days_left(now),
        problems=ssl_actions.problems(certificate, now),
        served=served(certificate),
    )


def pending_certificate(site: Site) -> Certificate | None:
    return site.certificates.filter(status__in=CertificateStatus.pending()).order_by("-id").first()


def _status_context(site: Site) -> dict[str, Any]:
    """What changes while a certificate's job runs: the part of the page that polls."""
    pending = pending_certificate(site)
    return {
        "site": site,
        "active": active_certificate(site),
        "pending": pending,
        "history": list(ssl_actions.certificates(site)[:HISTORY_LENGTH]),
        "under_way": pending is not None or site.jobs.filter(status__in=JobStatus.active()).exists(),
    }


def _page(
    request: HttpRequest,
    site: Site,
    issue_form: IssueCertificateForm | None = None,
    upload_form: UploadCertificateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **_status_context(site),
        "issue_form": issue_form or IssueCertificateForm(None, site_names(site), _email_of(request.user)),
        "upload_form": upload_form or UploadCertificateForm(),
    }
    return render(request, TEMPLATE, context, status=status)


def _email_of(user: Any) -> str:
    return str(getattr(user, "email", "") or "")


@require_GET
def site_ssl(request: HttpRequest, site_id: int) -> HttpResponse:
    return _page(request, user_site(request, site_id))


@require_GET
def site_ssl_live(request: HttpRequest, site_id: int) -> HttpResponse:
    return render(request, "web/sites/ssl/status.html", _status_context(user_site(request, site_id)))


@require_POST
def site_ssl_issue(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = IssueCertificateForm(request.POST, site_names(site))
    if form.is_valid():
        try:
            certificate = ssl_actions.issue(
                site, request.user, form.cleaned_data["domains"], form.cleaned_data["email"]
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            names = ", ".join(certificate.domains)
            return _queued(request, certificate.job_id, f"Asking for a certificate for {names}")
    return _page(request, site, issue_form=form, status=400)


@sensitive_post_parameters("private_key", "certificate", "chain")
@require_POST
def site_ssl_upload(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = UploadCertificateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            certificate = ssl_actions.upload(
                site, request.user, data["certificate"], data["private_key"], data["chain"]
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _queued(
                request, certificate.job_id, f"Installing the uploaded certificate on {site.domain}"
            )
    return _page(request, site, upload_form=form, status=400)


@require_POST
def site_ssl_retry(request: HttpRequest, site_id: int, pk: int) -> HttpResponse:
    site = user_site(request, site_id)
    failed = get_object_or_404(site.certificates, pk=pk)
    try:
        certificate = ssl_actions.retry(failed, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("site_ssl", site.pk)
    return _queued(request, certificate.job_id, f"Asking again for a certificate for {site.domain}")


@require_POST
def site_ssl_renew(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return _job(request, site, ssl_actions.renew, f"Renewing the certificate of {site.domain}")


@require_POST
def site_ssl_refresh(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return _job(request, site, ssl_actions.refresh, f"Checking the certificate {site.domain} serves")


@require_http_methods(["GET", "POST"])
def site_ssl_remove(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    if request.method == "POST":
        return _job(request, site, ssl_actions.remove, f"Removing the certificate of {site.domain}")
    certificate = site.active_certificate()
    if certificate is None:
        messages.error(request, f"{site.domain} has no certificate to remove.")
        return redirect("site_ssl", site.pk)
    return render(request, "web/sites/ssl/confirm_remove.html", {"site": site, "certificate": certificate})


def _job(request: HttpRequest, site: Site, action: Callable[[Site, Any], Job], what: str) -> HttpResponse:
    try:
        job = action(site, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("site_ssl", site.pk)
    return _queued(request, job.pk, what)


def _queued(request: HttpRequest, job_id: int | None, what: str) -> HttpResponse:
    assert job_id is not None
    messages.success(request, f"{what} (job #{job_id}).")
    return redirect("job_detail", job_id)
