"""`brokeforge ssl issue|upload|list|renew|refresh|remove|retry`: a site's certificates.

Each change is a job on the site's server, as on the SSL page; the Certificate row says how it
went (status, the ACME server's or Nginx's words in `error`). Bad input is refused before anything
is queued (exit 2); with --wait a job or certificate that ends badly exits 1. An uploaded key is
read from its file and never printed, in text or JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from django.utils import timezone
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions.sites import ssl as ssl_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import job_dict
from brokeforge.cli.main import needs_database
from brokeforge.cli.sites import get_site
from brokeforge.cli.watch import watch_job
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import CertificateStatus
from brokeforge.sites.models import Certificate, Site


def certificate_dict(certificate: Certificate) -> dict[str, Any]:
    """What the panel knows of a certificate; never its key nor its PEM text."""
    now = timezone.now()
    return {
        "id": certificate.pk,
        "site_id": certificate.site_id,
        "kind": certificate.kind,
        "status": certificate.status,
        "domains": certificate.domains,
        "email": certificate.email,
        "error": certificate.error,
        "issuer": certificate.issuer,
        "names": certificate.names,
        "serial": certificate.serial,
        "fingerprint": certificate.fingerprint,
        "not_before": certificate.not_before,
        "not_after": certificate.not_after,
        "days_left": certificate.days_left(now),
        "read_at": certificate.read_at,
        "served_matches": certificate.served_matches,
        "served_fingerprint": certificate.served_fingerprint,
        "served_not_after": certificate.served_not_after,
        "served_error": certificate.served_error,
        "served_checked_at": certificate.served_checked_at,
        "renewed_at": certificate.renewed_at,
        "renewal_error": certificate.renewal_error,
        "problems": ssl_actions.problems(certificate, now),
        "job_id": certificate.job_id,
        "created_at": certificate.created_at,
        "activated_at": certificate.activated_at,
    }


def get_certificate(certificate_id: int) -> Certificate:
    records = Certificate.objects.select_related("site__server__owner")
    return output.find(records, certificate_id, "certificate", "CERTIFICATE_ID")


def _run(action: Callable[..., Any], *arguments: Any) -> Any:
    try:
        return action(*arguments)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None


@click.group()
def ssl() -> None:
    """Sites' certificates: issue (Let's Encrypt), upload, renew, check, remove."""


@ssl.command("issue")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option(
    "--domains", help="Names on the certificate, comma-separated (default: every name of the site)."
)
@click.option("--email", default="", help="The ACME account's contact address (default: the owner's).")
@click.option("--wait", is_flag=True, help="Follow the job (exit 1 unless the certificate is active).")
@click.option("--json", "as_json", is_flag=True, help="Print the certificate and its job as JSON.")
@needs_database
def issue(site_id: int, domains: str | None, email: str, wait: bool, as_json: bool) -> None:
    """Ask the ACME server (Let's Encrypt) for a certificate, validated over HTTP-01."""
    site = get_site(site_id)
    names = None if domains is None else domains.split(",")
    _follow(_run(ssl_actions.issue, site, site.server.owner, names, email), wait, as_json)


PEM_FILE = click.Path(exists=True, dir_okay=False, allow_dash=True)


@ssl.command("upload")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--cert", "cert_path", type=PEM_FILE, required=True, help="The certificate (PEM; - : stdin).")
@click.option("--key", "key_path", type=PEM_FILE, required=True, help="Its private key (PEM; - : stdin).")
@click.option("--chain", "chain_path", type=PEM_FILE, help="The intermediate certificates (PEM; - : stdin).")
@click.option("--wait", is_flag=True, help="Follow the job (exit 1 unless the certificate is active).")
@click.option("--json", "as_json", is_flag=True, help="Print the certificate and its job as JSON.")
@needs_database
def upload(
    site_id: int, cert_path: str, key_path: str, chain_path: str | None, wait: bool, as_json: bool
) -> None:
    """Serve a certificate issued elsewhere: checked first (key, dates, the site's names, chain).

    --cert may hold the whole chain (a fullchain.pem). At most one of the files may be `-`
    (stdin). The key is written 0600 on the server and never printed.
    """
    site = get_site(site_id)
    paths = {"--cert": cert_path, "--key": key_path, "--chain": chain_path}
    if list(paths.values()).count("-") > 1:
        raise click.UsageError("Only one of --cert, --key and --chain can be - (stdin).")
    texts = {option: "" if path is None else _read(path, option) for option, path in paths.items()}
    certificate = _run(
        ssl_actions.upload, site, site.server.owner, texts["--cert"], texts["--key"], texts["--chain"]
    )
    _follow(certificate, wait, as_json)


def _read(path: str, option: str) -> str:
    try:
        with click.open_file(path, "rb") as file:
            return bytes(file.read()).decode()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}.", param_hint=option) from None
    except UnicodeDecodeError:
        raise click.BadParameter(f"{path} is not PEM text.", param_hint=option) from None


@ssl.command("retry")
@click.argument("certificate_id", metavar="CERTIFICATE_ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the job (exit 1 unless the certificate is active).")
@click.option("--json", "as_json", is_flag=True, help="Print the new certificate and its job as JSON.")
@needs_database
def retry(certificate_id: int, wait: bool, as_json: bool) -> None:
    """Ask again for a certificate whose issuance failed: the same names, a new attempt."""
    failed = get_certificate(certificate_id)
    _follow(_run(ssl_actions.retry, failed, failed.site.server.owner), wait, as_json)


def _follow(certificate: Certificate, wait: bool, as_json: bool) -> None:
    """Print the certificate queued, or with `wait` follow its job; exit 1 unless it ended active
    (its `error` says why: the ACME server's or Nginx's own words)."""
    assert certificate.job_id is not None  # the action queued its job
    job = Job.objects.get(pk=certificate.job_id)
    if wait:
        job = queue.wait(job) if as_json else watch_job(job)
        certificate.refresh_from_db()
    if as_json:
        output.print_json({**certificate_dict(certificate), "job": job_dict(job)})
    else:
        names = ", ".join(certificate.names or certificate.domains)
        summary = f"Certificate #{certificate.pk} for {names} (job #{job.pk}) "
        output.console().print(output.text(summary, output.status_text(certificate.status)))
        if certificate.status == CertificateStatus.ACTIVE:
            _print_dates(certificate)
        elif certificate.status == CertificateStatus.FAILED or wait:
            _print_error(certificate.error or job.error)
    if wait and certificate.status != CertificateStatus.ACTIVE:
        sys.exit(1)


@ssl.command("list")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def list_certificates(site_id: int, as_json: bool) -> None:
    """A site's certificates, newest first: the one served, failed attempts (and why), history."""
    site = get_site(site_id)
    rows = list(ssl_actions.certificates(site))
    if as_json:
        output.print_json(
            {
                "site_id": site.pk,
                "domain": site.domain,
                "force_https": site.force_https,
                "hsts_max_age": site.hsts_max_age,
                "certificates": [certificate_dict(row) for row in rows],
            }
        )
        return
    out = output.console()
    if not rows:
        out.print(f"{site.domain} has no certificate: `brokeforge ssl issue {site.pk}` asks for one.")
        return
    now = timezone.now()
    table = Table("ID", "Kind", "Status", "Names", "Issuer", "Expires (UTC)", "Days", "Port 443", "Problems")
    for row in rows:
        days = row.days_left(now)
        table.add_row(
            str(row.pk), row.kind, output.status_text(row.status),
            output.printable(", ".join(row.names or row.domains)), output.printable(row.issuer or "-"),
            output.when(row.not_after), "-" if days is None else str(days),
            _served(row), output.printable("; ".join(ssl_actions.problems(row, now)) or "-"),
        )  # fmt: skip
    out.print(table)
    for row in rows:
        if row.status == CertificateStatus.FAILED and row.error:
            out.print(output.text((f"#{row.pk} failed: ", "red"), row.error))
        if row.status == CertificateStatus.ACTIVE and row.renewal_error:
            out.print(output.text((f"#{row.pk} last renewal failed: ", "red"), row.renewal_error))
    https = "on" if site.force_https else "off"
    hsts = f"max-age {site.hsts_max_age}s" if site.hsts_max_age else "off"
    out.print(f"Force HTTPS: {https}; HSTS: {hsts}")


def _served(certificate: Certificate) -> str:
    """What port 443 sent when last checked, next to the certificate on file."""
    if certificate.served_checked_at is None:
        return "not checked"
    if certificate.served_error:
        return output.printable(certificate.served_error)
    if certificate.served_matches:
        return "this one"
    return "another" if certificate.served_fingerprint else "none"


def _print_error(error: str) -> None:
    if error:
        output.console().print(output.text(("error: ", "red"), error))


def _print_dates(certificate: Certificate) -> None:
    if certificate.not_after is None:
        return
    days = certificate.days_left(timezone.now())
    until = f"{output.when(certificate.not_after)} UTC"
    output.console().print(
        output.printable(f"issued by {certificate.issuer or '-'}, valid until {until} ({days} days)")
    )


@ssl.command("renew")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the job (exit 1 unless it succeeds).")
@click.option("--json", "as_json", is_flag=True, help="Print the certificate and the job as JSON.")
@needs_database
def renew(site_id: int, wait: bool, as_json: bool) -> None:
    """Renew the site's Let's Encrypt certificate now (certbot's timer does it by itself)."""
    site = get_site(site_id)
    _report(site, ssl_actions.renew, wait, as_json)


@ssl.command("refresh")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the job (exit 1 unless it succeeds).")
@click.option("--json", "as_json", is_flag=True, help="Print the certificate and the job as JSON.")
@needs_database
def refresh(site_id: int, wait: bool, as_json: bool) -> None:
    """Read again, from the server, the certificate file and what port 443 serves."""
    site = get_site(site_id)
    _report(site, ssl_actions.refresh, wait, as_json)


@ssl.command("remove")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the job (exit 1 unless it succeeds).")
@click.option("--json", "as_json", is_flag=True, help="Print the certificate and the job as JSON.")
@needs_database
def remove(site_id: int, wait: bool, as_json: bool) -> None:
    """Take the certificate away: the site goes back to plain HTTP, force-HTTPS and HSTS off.

    Browsers that saw the site's HSTS header keep refusing plain HTTP to it for its max-age.
    """
    site = get_site(site_id)
    _report(site, ssl_actions.remove, wait, as_json, hsts=site.hsts_max_age)


def _report(site: Site, action: Callable[[Site, Any], Job], wait: bool, as_json: bool, hsts: int = 0) -> None:
    """Queue `action`'s job on the site's certificate; print the certificate and that job (`job`:
    the certificate's own `job_id` stays the job that installed it). With `wait`, as the job left
    them; exit 1 unless the job succeeded."""
    certificate = site.active_certificate()
    job = _run(action, site, site.server.owner)
    assert certificate is not None  # the action refuses a site without one
    if hsts:
        output.error_console().print(
            f"Warning: {site.domain} sent HSTS (max-age {hsts}s). Browsers that saw it keep refusing "
            f"plain HTTP to it for up to {_duration(hsts)} after their last visit over HTTPS."
        )
    if wait:
        job = queue.wait(job) if as_json else watch_job(job)
        certificate.refresh_from_db()
    if as_json:
        output.print_json({**certificate_dict(certificate), "job": job_dict(job)})
    elif not wait:
        output.console().print(output.text(f"Queued job #{job.pk} ", job.label, "."))
    else:
        _print_state(certificate)
    if wait and job.status != JobStatus.SUCCEEDED:
        if not as_json:
            _print_error(job.error)
        sys.exit(1)


def _print_state(certificate: Certificate) -> None:
    out = output.console()
    names = ", ".join(certificate.names or certificate.domains)
    out.print(
        output.text(f"Certificate #{certificate.pk} for {names} ", output.status_text(certificate.status))
    )
    _print_dates(certificate)
    for problem in ssl_actions.problems(certificate):
        out.print(output.text(("needs a look: ", "yellow"), problem))
    if certificate.renewal_error:
        out.print(output.text(("last renewal failed: ", "red"), certificate.renewal_error))


def _duration(seconds: int) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"
