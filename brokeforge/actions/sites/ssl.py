"""A site's certificates: issue one over ACME, upload one, renew, check again what is served,
remove; and what needs attention (expiry, failed renewals, a port 443 that serves another).

Each is a job on the site's server; the Certificate row says how it went. An upload is checked
whole here (key, dates, names, chain) before anything is queued: bad input changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs.models import Job
from brokeforge.lib import validators
from brokeforge.lib.certificates import canonical_key, check_upload, names_cover, parse_chain
from brokeforge.lib.enums import CertificateKind, CertificateStatus, PackageName, SiteStatus
from brokeforge.packages import registry
from brokeforge.packages.services.sites.site.spec import SiteSpec, claimed_names
from brokeforge.packages.services.sites.ssl import certbot
from brokeforge.servers.models import Server
from brokeforge.sites.models import Certificate, Site

# Let's Encrypt's limit of names on one certificate.
MAX_NAMES = 100


def certificates(site: Site) -> QuerySet[Certificate]:
    """Every certificate of the site, newest first: the active one, the failed attempts, history."""
    return site.certificates.select_related("site").order_by("-id")


def issue(site: Site, user: Any = None, domains: Iterable[str] | None = None, email: str = "") -> Certificate:
    """Queue an ACME issuance for `domains` (by default every name the site answers to)."""
    spec = _spec(site)
    names = _domains(spec, domains)
    try:
        contact = certbot.email(email.strip()) if email.strip() else _default_email(user)
        directory = certbot.directory_url(settings.ACME_DIRECTORY)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    return _queue(
        site,
        user,
        kind=CertificateKind.ACME,
        domains=names,
        email=contact,
        directory_url=directory,
    )


def retry(certificate: Certificate, user: Any = None) -> Certificate:
    """Ask again for a certificate whose issuance failed: the same names, a new attempt."""
    if certificate.status != CertificateStatus.FAILED or certificate.kind != CertificateKind.ACME:
        raise ActionError(f"Certificate #{certificate.pk} did not fail an issuance: nothing to retry.")
    return issue(certificate.site, user, certificate.domains, certificate.email)


def upload(site: Site, user: Any, certificate_pem: str, key_pem: str, chain_pem: str = "") -> Certificate:
    """Queue putting an uploaded certificate into service, once it is checked: the key matches,
    it is valid now, it covers the site's domain, its chain is in order."""
    spec = _spec(site)
    try:
        info = check_upload(certificate_pem, key_pem, chain_pem, _required_names(spec), timezone.now())
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    covered = [name for name in spec.certificate_names() if info.covers(name)]
    return _queue(
        site,
        user,
        kind=CertificateKind.CUSTOM,
        domains=covered,
        certificate_pem=_served_chain(certificate_pem, chain_pem),
        private_key=canonical_key(key_pem),
    )


def renew(site: Site, user: Any = None) -> Job:
    """Renew the site's ACME certificate now (certbot's timer does it by itself)."""
    _check_nothing_pending(site)
    certificate = active(site)
    if certificate.kind != CertificateKind.ACME:
        raise ActionError(
            f"{site.domain} serves an uploaded certificate: renew it where it was issued, then upload "
            "the new one."
        )
    return _dispatch(PackageName.SSL_RENEW, certificate, user)


def refresh(site: Site, user: Any = None) -> Job:
    """Read again, from the server, the certificate file and what port 443 serves."""
    return _dispatch(PackageName.SSL_REFRESH, active(site), user)


def remove(site: Site, user: Any = None) -> Job:
    """Take the certificate away: the site goes back to plain HTTP, force-HTTPS and HSTS off."""
    _check_nothing_pending(site)
    certificate = active(site)
    job_class = registry.service(PackageName.SSL).remover_job
    assert job_class is not None
    _check_site(site)
    return jobs.dispatch(job_class, site, certificate.pk, started_by=user)


def active(site: Site) -> Certificate:
    certificate = site.active_certificate()
    if certificate is None:
        raise ActionError(f"{site.domain} has no certificate: issue or upload one first.")
    return certificate


@dataclass(frozen=True)
class Attention:
    """An active certificate that needs a look, and why."""

    certificate: Certificate
    problems: list[str]


def problems(certificate: Certificate, now: datetime | None = None) -> list[str]:
    """What needs a look on an active certificate: its own state (expiry, renewal, what port 443
    serves), and names that no longer match the site's (a name the site gained that it does not
    cover; a name it lists that the site no longer answers, whose renewals HTTP-01 will fail)."""
    found = certificate.problems(now or timezone.now())
    if certificate.status != CertificateStatus.ACTIVE or not certificate.names:
        return found
    site = certificate.site
    names = claimed_names(site.domain, site.aliases, site.redirect)
    uncovered = sorted(name for name in names if not names_cover(certificate.names, name))
    if uncovered:
        found.append(
            f"does not cover {', '.join(uncovered)}: browsers warn on it over HTTPS; issue a "
            "certificate that includes it"
        )
    if certificate.kind == CertificateKind.ACME:
        dropped = sorted(name for name in certificate.names if name not in names)
        if dropped:
            found.append(
                f"lists {', '.join(dropped)}, no longer a name of the site: issue a new one before it renews"
            )
    return found


def needing_attention(sites: Iterable[Site] | QuerySet[Site]) -> dict[int, Attention]:
    """Per site id, its active certificate's problems (see problems())."""
    now = timezone.now()
    found = {}
    active_ones = Certificate.objects.filter(site__in=sites, status=CertificateStatus.ACTIVE)
    for certificate in active_ones.select_related("site"):
        problems_now = problems(certificate, now)
        if problems_now:
            found[certificate.site_id] = Attention(certificate, problems_now)
    return found


def servers_needing_attention(servers: Iterable[Server]) -> dict[int, int]:
    """Per server id, how many of its sites' certificates need a look."""
    counts: dict[int, int] = {}
    for attention in needing_attention(Site.objects.filter(server__in=list(servers))).values():
        server_id = attention.certificate.site.server_id
        counts[server_id] = counts.get(server_id, 0) + 1
    return counts


# -- helpers -------------------------------------------------------------------------------------


def _spec(site: Site) -> SiteSpec:
    _check_site(site)
    _check_nothing_pending(site)
    try:
        return SiteSpec.of(site)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def _check_nothing_pending(site: Site) -> None:
    """One certificate change at a time: each acts on what the one before left."""
    pending = site.certificates.filter(status__in=CertificateStatus.pending()).first()
    if pending is not None:
        raise ActionError(
            f"Certificate #{pending.pk} of {site.domain} is still {pending.get_status_display().lower()}: "
            "wait for it to finish."
        )


def _check_site(site: Site) -> None:
    if site.status != SiteStatus.ACTIVE:
        raise ActionError(f"{site.domain} is {site.status}; certificates are for active sites.")


def _domains(spec: SiteSpec, domains: Iterable[str] | None) -> list[str]:
    if domains is None:
        return spec.certificate_names()
    names: list[str] = []
    for value in domains:
        if not value.strip():
            continue
        if value.strip().startswith("*."):
            raise ActionError(
                f"{value.strip()}: a wildcard needs a DNS challenge; HTTP-01 (what the panel uses) "
                "issues only names the site answers to."
            )
        try:
            name = validators.domain(value.strip())
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        if name not in spec.names():
            raise ActionError(
                f"{name} is not a name of {spec.domain} (its names: {', '.join(spec.certificate_names())}): "
                "add it as an alias first, so the site answers the ACME server's challenge for it."
            )
        names.append(name)
    names = list(dict.fromkeys(names))
    if not names:
        raise ActionError("Give at least one name for the certificate.")
    if len(names) > MAX_NAMES:
        raise ActionError(f"At most {MAX_NAMES} names on one certificate, got {len(names)}.")
    return names


def _required_names(spec: SiteSpec) -> list[str]:
    """An upload must cover the site's domain and the name it is served under."""
    return list(dict.fromkeys([spec.domain, spec.canonical]))


def _default_email(user: Any) -> str:
    """The user's own address, if it is one the ACME server takes; none otherwise."""
    address = (getattr(user, "email", "") or "").strip()
    try:
        return certbot.email(address) if address else ""
    except ValueError:
        return ""


def _served_chain(certificate_pem: str, chain_pem: str) -> str:
    """The chain as Nginx serves it: each certificate once, leaf first, in canonical PEM (so the
    panel can compare it byte for byte with what port 443 sends)."""
    chain = parse_chain(certificate_pem) + (parse_chain(chain_pem) if chain_pem.strip() else [])
    unique = list(dict.fromkeys(chain))
    return "".join(cert.public_bytes(serialization.Encoding.PEM).decode() for cert in unique)


def _queue(site: Site, user: Any, **fields: Any) -> Certificate:
    with transaction.atomic():
        # The server's row is locked while the check is made again: two issuances asked for at
        # once (a double submit) cannot both be queued.
        Server.objects.select_for_update().filter(pk=site.server_id).first()
        _check_nothing_pending(site)
        certificate = Certificate.objects.create(site=site, created_by=user, **fields)
        job = jobs.dispatch(
            registry.service(PackageName.SSL).installer_job, site, certificate.pk, started_by=user
        )
        certificate.job_id = job.pk
        certificate.save(update_fields=["job_id"])
    return certificate


def _dispatch(name: PackageName, certificate: Certificate, user: Any) -> Job:
    _check_site(certificate.site)
    return jobs.dispatch(
        registry.service(name).installer_job, certificate.site, certificate.pk, started_by=user
    )
