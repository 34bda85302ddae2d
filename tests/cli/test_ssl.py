"""`brokeforge ssl issue|upload|list|renew|refresh|remove|retry`, from data (no server): what is
queued, the JSON shapes, bad input refused with exit 2 and nothing queued, an uploaded key never
printed, and --wait's exit code from how the certificate or job ended."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from brokeforge.cli.sites import ssl as ssl_cli
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import CertificateKind, CertificateStatus, PackageName, PackageStatus, PackageType
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Certificate, Site

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "shop.example.com"
ALIAS = "a.example.com"
DAY = timedelta(days=1)
FIELDS = {
    "id", "site_id", "kind", "status", "domains", "email", "error", "issuer", "names", "serial",
    "fingerprint", "not_before", "not_after", "days_left", "read_at", "served_matches",
    "served_fingerprint", "served_not_after", "served_error", "served_checked_at", "renewed_at",
    "renewal_error", "problems", "job_id", "created_at", "activated_at",
}  # fmt: skip


def make_site(invoke: Invoke, server: Server, domain: str, *options: str) -> Site:
    result = invoke("sites", "add", str(server.pk), "--domain", domain, *options, "--json")
    assert result.exit_code == 0, result.output
    site = Site.objects.get(pk=json.loads(result.stdout)["id"])
    Site.objects.filter(pk=site.pk).update(status="active")
    Job.objects.all().delete()
    site.refresh_from_db()
    return site


def ready(server: Server) -> Server:
    for name, kind, instance in [
        (PackageName.NGINX, PackageType.WEBSERVER, ""),
        (PackageName.PHP, PackageType.PHP, "8.2"),
    ]:
        ServerPackage.objects.create(
            server=server, package_type=kind, package_name=name, instance=instance,
            status=PackageStatus.INSTALLED,
        )  # fmt: skip
    return server


@pytest.fixture
def site(add_server: Any, invoke: Invoke) -> Site:
    server = ready(Server.objects.get(pk=add_server()["id"]))
    return make_site(invoke, server, DOMAIN, "--aliases", ALIAS)


def active(site: Site, kind: str = CertificateKind.ACME, **fields: Any) -> Certificate:
    """A certificate as a successful install and read-back leave it."""
    now = timezone.now()
    values: dict[str, Any] = {
        "domains": [DOMAIN, ALIAS],
        "names": [DOMAIN, ALIAS],
        "issuer": "CN=Test Intermediate",
        "serial": "0ABC",
        "fingerprint": "AA:BB",
        "not_before": now - 10 * DAY,
        "not_after": now + 80 * DAY,
        "read_at": now,
        "activated_at": now,
        **fields,
    }
    return Certificate.objects.create(site=site, kind=kind, status=CertificateStatus.ACTIVE, **values)


# -- certificates to upload -----------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA = (
    x509.CertificateBuilder().subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
    .public_key(CA_KEY.public_key()).serial_number(x509.random_serial_number())
    .not_valid_before(datetime.now(UTC) - 30 * DAY).not_valid_after(datetime.now(UTC) + 3650 * DAY)
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(CA_KEY, hashes.SHA256())
)  # fmt: skip


def leaf(
    tmp_path: Path, stem: str, names: tuple[str, ...] = (DOMAIN, ALIAS), days: int = 60
) -> tuple[Path, Path]:
    """A certificate (with the CA after it) and its key, as files; expired when `days` < 0."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    start = now - 5 * DAY if days > 0 else now + (days - 30) * DAY
    certificate = (
        x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(CA.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(now + days * DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(CA_KEY, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / f"{stem}.pem", tmp_path / f"{stem}.key"
    pem = serialization.Encoding.PEM
    cert_path.write_bytes(certificate.public_bytes(pem) + CA.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def key_lines(key_path: Path) -> list[str]:
    return [line for line in key_path.read_text().splitlines() if line and not line.startswith("-----")]


def assert_nothing_queued() -> None:
    assert not Job.objects.exists() and not Certificate.objects.exists()


# -- issue --------------------------------------------------------------------------------------


def test_issue_queues_a_certificate_for_every_name_of_the_site(invoke: Invoke, site: Site) -> None:
    result = invoke("ssl", "issue", str(site.pk), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    certificate, job = Certificate.objects.get(), Job.objects.get()
    assert set(shown) == FIELDS | {"job"}
    assert (shown["id"], shown["kind"], shown["status"]) == (certificate.pk, "acme", "queued")
    assert shown["domains"] == certificate.domains == [DOMAIN, ALIAS]
    assert shown["job_id"] == shown["job"]["id"] == certificate.job_id == job.pk
    assert (job.site_id, job.status, job.arguments) == (site.pk, JobStatus.QUEUED, [certificate.pk])
    assert certificate.created_by == site.server.owner and certificate.email == ""


def test_issue_prints_the_certificate_and_its_job(invoke: Invoke, site: Site) -> None:
    result = invoke("ssl", "issue", str(site.pk), "--domains", DOMAIN, "--email", "ops@example.com")
    assert result.exit_code == 0, result.output
    certificate = Certificate.objects.get()
    assert (certificate.domains, certificate.email) == ([DOMAIN], "ops@example.com")
    line = " ".join(result.stdout.split())
    assert f"Certificate #{certificate.pk} for {DOMAIN} (job #{certificate.job_id}) queued" in line


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--domains", f"{DOMAIN},other.example.com"], "other.example.com is not a name of shop.example.com"),
        (["--domains", "*.example.com"], "a wildcard needs a DNS challenge"),
        (["--domains", "not a name"], "is not a host name"),
        (["--domains", ","], "Give at least one name"),
        (["--email", "nobody"], "is not an email address"),
    ],
)
def test_issue_refuses_bad_input_and_queues_nothing(
    invoke: Invoke, site: Site, options: list[str], message: str
) -> None:
    result = invoke("ssl", "issue", str(site.pk), *options, "--json")
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert result.stdout == ""
    assert_nothing_queued()


def test_issue_is_refused_while_another_is_under_way(invoke: Invoke, site: Site) -> None:
    first = json.loads(invoke("ssl", "issue", str(site.pk), "--json").stdout)
    again = invoke("ssl", "issue", str(site.pk))
    assert again.exit_code == 2 and f"Certificate #{first['id']} of {DOMAIN} is still queued" in again.output
    assert Job.objects.count() == 1


def test_a_site_that_is_not_there_is_not_found(invoke: Invoke, site: Site) -> None:
    for command in (["issue"], ["list"], ["renew"], ["refresh"], ["remove"]):
        result = invoke("ssl", *command, str(site.pk + 100))
        assert result.exit_code == 2 and f"There is no site #{site.pk + 100}" in result.output
    result = invoke("ssl", "retry", "4242")
    assert result.exit_code == 2 and "There is no certificate #4242" in result.output
    assert_nothing_queued()


def test_a_site_of_another_user_is_worked_on_as_its_owner(
    invoke: Invoke, add_server: Any, site: Site, django_user_model: Any
) -> None:
    """The CLI is the panel machine's root: it reaches every site, and acts as the server's owner
    (the job's starter, the certificate's creator, the ACME contact), never as an admin."""
    mallory = django_user_model.objects.create_user("mallory", "mallory@example.org", "correct horse battery")
    theirs = ready(Server.objects.get(pk=add_server("theirs", "203.0.113.66", "--owner", "mallory")["id"]))
    their_site = make_site(invoke, theirs, "theirs.example.org")
    result = invoke("ssl", "issue", str(their_site.pk), "--json")
    assert result.exit_code == 0, result.output
    certificate = Certificate.objects.get(pk=json.loads(result.stdout)["id"])
    assert (certificate.site, certificate.created_by, certificate.email) == (
        their_site, mallory, "mallory@example.org",
    )  # fmt: skip
    assert Job.objects.get(site=their_site).started_by == mallory
    assert not site.certificates.exists()


def test_a_site_that_is_not_active_gets_no_certificate(invoke: Invoke, site: Site) -> None:
    Site.objects.filter(pk=site.pk).update(status="failed")
    result = invoke("ssl", "issue", str(site.pk))
    assert result.exit_code == 2 and "certificates are for active sites" in result.output
    assert_nothing_queued()


# -- --wait -------------------------------------------------------------------------------------


def finish(job_status: str, certificate_status: str, error: str = "") -> Any:
    """A stand-in for following a job: it ends the job and its certificate as a worker would."""

    def follow(job: Job, *args: Any, **kwargs: Any) -> Job:
        Job.objects.filter(pk=job.pk).update(status=job_status, error=error if job_status == "failed" else "")
        Certificate.objects.filter(job_id=job.pk).update(status=certificate_status, error=error)
        job.refresh_from_db()
        return job

    return follow


ACME_ERROR = (
    "Domain: shop.example.com\nType: dns\nDetail: DNS problem: NXDOMAIN looking up A for shop.example.com"
)


@pytest.mark.parametrize("as_json", [True, False])
def test_wait_exits_1_with_the_acme_servers_words_when_issuance_failed(
    invoke: Invoke, site: Site, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    follow = finish(JobStatus.FAILED, CertificateStatus.FAILED, ACME_ERROR)
    monkeypatch.setattr(ssl_cli.queue, "wait", follow)
    monkeypatch.setattr(ssl_cli, "watch_job", follow)
    result = invoke("ssl", "issue", str(site.pk), "--wait", *(["--json"] if as_json else []))
    assert result.exit_code == 1
    if as_json:
        shown = json.loads(result.stdout)
        assert (shown["status"], shown["error"], shown["job"]["status"]) == ("failed", ACME_ERROR, "failed")
    else:
        assert "failed" in result.stdout and "DNS problem: NXDOMAIN looking up A" in result.stdout


def test_wait_exits_0_once_the_certificate_is_active(
    invoke: Invoke, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssl_cli.queue, "wait", finish(JobStatus.SUCCEEDED, CertificateStatus.ACTIVE))
    result = invoke("ssl", "issue", str(site.pk), "--wait", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "active"


def test_wait_exits_1_when_the_job_ended_without_an_active_certificate(
    invoke: Invoke, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssl_cli, "watch_job", finish(JobStatus.FAILED, CertificateStatus.INSTALLING, "lost"))
    result = invoke("ssl", "issue", str(site.pk), "--wait")
    assert result.exit_code == 1 and "error: lost" in result.stdout


# -- upload -------------------------------------------------------------------------------------


def test_a_good_upload_is_queued_and_its_key_never_printed(
    invoke: Invoke, site: Site, tmp_path: Path
) -> None:
    cert, key = leaf(tmp_path, "good")
    result = invoke("ssl", "upload", str(site.pk), "--cert", str(cert), "--key", str(key), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    certificate = Certificate.objects.get()
    assert (shown["id"], shown["kind"], shown["status"]) == (certificate.pk, "custom", "queued")
    assert shown["domains"] == [DOMAIN, ALIAS] and shown["job"]["id"] == certificate.job_id
    assert certificate.private_key.strip() == key.read_text().strip()
    assert "private_key" not in shown and "certificate_pem" not in shown
    assert not any(line in result.output for line in key_lines(key))
    assert "PRIVATE KEY" not in result.output


def test_the_key_can_come_from_stdin_and_text_output_holds_no_key(
    invoke: Invoke, site: Site, tmp_path: Path
) -> None:
    cert, key = leaf(tmp_path, "good")
    result = invoke("ssl", "upload", str(site.pk), "--cert", str(cert), "--key", "-", input=key.read_text())
    assert result.exit_code == 0, result.output
    certificate = Certificate.objects.get()
    assert f"Certificate #{certificate.pk} for {DOMAIN}, {ALIAS}" in result.stdout
    assert certificate.private_key.strip() == key.read_text().strip()
    assert not any(line in result.output for line in key_lines(key))


def test_a_separate_chain_is_served_after_the_certificate(invoke: Invoke, site: Site, tmp_path: Path) -> None:
    cert, key = leaf(tmp_path, "good")
    pem = cert.read_text()
    end = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
    (tmp_path / "leaf.pem").write_text(pem[:end])
    (tmp_path / "chain.pem").write_text(pem[end:])
    result = invoke(
        "ssl", "upload", str(site.pk), "--cert", str(tmp_path / "leaf.pem"), "--key", str(key),
        "--chain", str(tmp_path / "chain.pem"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Certificate.objects.get().certificate_pem.count("BEGIN CERTIFICATE") == 2


def _upload(invoke: Invoke, site: Site, cert: Path, key: Path) -> Any:
    return invoke("ssl", "upload", str(site.pk), "--cert", str(cert), "--key", str(key), "--json")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("mismatched key", "does not match"),
        ("expired", "expired"),
        ("elsewhere", DOMAIN),
        ("key as certificate", "holds a private key"),
    ],
)
def test_a_bad_upload_is_refused_with_the_reason_and_nothing_queued(
    invoke: Invoke, site: Site, tmp_path: Path, case: str, message: str
) -> None:
    cert, key = leaf(tmp_path, "good")
    _other_cert, other_key = leaf(tmp_path, "other")
    files = {
        "mismatched key": (cert, other_key),
        "expired": leaf(tmp_path, "expired", days=-1),
        "elsewhere": leaf(tmp_path, "elsewhere", ("other.example.org",)),
        "key as certificate": (key, key),
    }
    cert, key = files[case]
    result = _upload(invoke, site, cert, key)
    assert result.exit_code == 2 and message in result.output, result.output
    assert result.stdout == ""
    assert not any(line in result.output for line in key_lines(key)) and "PRIVATE KEY" not in result.output
    assert_nothing_queued()


def test_upload_input_errors_exit_2(invoke: Invoke, site: Site, tmp_path: Path) -> None:
    cert, key = leaf(tmp_path, "good")
    two_stdins = invoke("ssl", "upload", str(site.pk), "--cert", "-", "--key", "-", input=cert.read_text())
    assert two_stdins.exit_code == 2 and "Only one of --cert, --key and --chain can be -" in two_stdins.output
    missing = invoke("ssl", "upload", str(site.pk), "--cert", str(tmp_path / "none.pem"), "--key", str(key))
    assert missing.exit_code == 2 and "none.pem" in missing.output
    (tmp_path / "binary.pem").write_bytes(b"\xff\xfe\x00")
    binary = invoke("ssl", "upload", str(site.pk), "--cert", str(tmp_path / "binary.pem"), "--key", str(key))
    assert binary.exit_code == 2 and "is not PEM text" in binary.output
    no_key = invoke("ssl", "upload", str(site.pk), "--cert", str(cert))
    assert no_key.exit_code == 2 and "--key" in no_key.output
    assert_nothing_queued()


# -- list ---------------------------------------------------------------------------------------


def test_list_json_shows_every_certificate_and_no_key(invoke: Invoke, site: Site, tmp_path: Path) -> None:
    cert, key = leaf(tmp_path, "good")
    Certificate.objects.create(
        site=site,
        kind=CertificateKind.ACME,
        status=CertificateStatus.FAILED,
        domains=[DOMAIN],
        error=ACME_ERROR,
    )
    now = timezone.now()
    uploaded = active(
        site, CertificateKind.CUSTOM, certificate_pem=cert.read_text(), private_key=key.read_text(),
        not_after=now + 10 * DAY, served_checked_at=now, served_fingerprint="CC:DD",
    )  # fmt: skip
    Site.objects.filter(pk=site.pk).update(force_https=True, hsts_max_age=300)
    result = invoke("ssl", "list", str(site.pk), "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert (listed["site_id"], listed["domain"], listed["force_https"], listed["hsts_max_age"]) == (
        site.pk, DOMAIN, True, 300,
    )  # fmt: skip
    newest, failed = listed["certificates"]
    assert set(newest) == set(failed) == FIELDS
    assert (newest["id"], newest["kind"], newest["status"], newest["names"]) == (
        uploaded.pk, "custom", "active", [DOMAIN, ALIAS],
    )  # fmt: skip
    assert datetime.fromisoformat(newest["not_after"]) == uploaded.not_after
    assert newest["days_left"] in (9, 10) and newest["served_matches"] is False
    assert newest["problems"] == [f"expires in {newest['days_left']} days ({uploaded.not_after:%Y-%m-%d})",
                                  "port 443 serves another certificate"]  # fmt: skip
    assert (failed["status"], failed["error"], failed["problems"]) == ("failed", ACME_ERROR, [])
    assert "PRIVATE KEY" not in result.stdout and "BEGIN CERTIFICATE" not in result.stdout
    assert not any(line in result.stdout for line in key_lines(key))


def test_list_as_a_table(invoke: Invoke, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # each row on one line
    empty = invoke("ssl", "list", str(site.pk))
    assert empty.exit_code == 0 and f"{DOMAIN} has no certificate" in empty.stdout
    Certificate.objects.create(
        site=site,
        kind=CertificateKind.ACME,
        status=CertificateStatus.FAILED,
        domains=[DOMAIN],
        error=ACME_ERROR,
    )
    certificate = active(
        site, renewal_error="Detail: Timeout during connect", served_checked_at=timezone.now()
    )
    certificate.served_fingerprint = certificate.fingerprint
    certificate.save()
    table = " ".join(invoke("ssl", "list", str(site.pk)).stdout.split())
    assert "this one" in table and "CN=Test Intermediate" in table and "its last renewal failed" in table
    assert "failed: Domain: shop.example.com" in table and "DNS problem: NXDOMAIN" in table
    assert "last renewal failed: Detail: Timeout during connect" in table
    assert "Force HTTPS: off; HSTS: off" in table


# -- renew, refresh, remove, retry --------------------------------------------------------------


def test_renew_and_refresh_queue_a_job_on_the_active_certificate(invoke: Invoke, site: Site) -> None:
    certificate = active(site, job_id=99)
    for command, label in [("renew", "Renew the certificate of"), ("refresh", "Check the certificate of")]:
        result = invoke("ssl", command, str(site.pk), "--json")
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        job = Job.objects.get(pk=shown["job"]["id"])
        assert (shown["id"], shown["job_id"], shown["status"]) == (certificate.pk, 99, "active")
        assert job.label.startswith(label) and job.arguments == [certificate.pk]
        text = invoke("ssl", command, str(site.pk))
        assert (
            text.exit_code == 0 and "Queued job #" in text.stdout and label in " ".join(text.stdout.split())
        )


def test_renew_is_refused_for_an_uploaded_certificate(invoke: Invoke, site: Site) -> None:
    active(site, CertificateKind.CUSTOM)
    result = invoke("ssl", "renew", str(site.pk), "--json")
    assert result.exit_code == 2 and "serves an uploaded certificate" in result.output
    assert result.stdout == "" and not Job.objects.exists()
    assert invoke("ssl", "refresh", str(site.pk)).exit_code == 0


def test_without_a_certificate_renew_refresh_and_remove_are_refused(invoke: Invoke, site: Site) -> None:
    for command in ("renew", "refresh", "remove"):
        result = invoke("ssl", command, str(site.pk))
        assert result.exit_code == 2 and f"{DOMAIN} has no certificate" in result.output
    assert not Job.objects.exists()


def test_wait_on_a_renewal_that_failed_exits_1(
    invoke: Invoke, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    active(site)
    monkeypatch.setattr(
        ssl_cli, "watch_job", finish(JobStatus.FAILED, CertificateStatus.ACTIVE, "rate limited")
    )
    result = invoke("ssl", "renew", str(site.pk), "--wait")
    assert result.exit_code == 1 and "error: rate limited" in result.stdout


def test_remove_warns_about_hsts_on_stderr(invoke: Invoke, site: Site) -> None:
    certificate = active(site)
    Site.objects.filter(pk=site.pk).update(force_https=True, hsts_max_age=2 * 86400)
    result = invoke("ssl", "remove", str(site.pk), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)  # the warning stays out of the JSON
    assert shown["id"] == certificate.pk
    assert Job.objects.get(pk=shown["job"]["id"]).label.startswith("Remove the certificate of")
    warning = " ".join(result.stderr.split())
    assert "sent HSTS (max-age 172800s)" in warning and "for up to 2 days" in warning


def test_remove_without_hsts_says_nothing_of_it(invoke: Invoke, site: Site) -> None:
    active(site)
    result = invoke("ssl", "remove", str(site.pk))
    assert result.exit_code == 0 and "Queued job #" in result.stdout and result.stderr == ""


def test_retry_asks_again_for_the_same_names(invoke: Invoke, site: Site) -> None:
    failed = Certificate.objects.create(
        site=site, kind=CertificateKind.ACME, status=CertificateStatus.FAILED, domains=[ALIAS],
        email="ops@example.com", error=ACME_ERROR,
    )  # fmt: skip
    result = invoke("ssl", "retry", str(failed.pk), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["id"] != failed.pk and (shown["domains"], shown["email"], shown["status"]) == (
        [ALIAS], "ops@example.com", "queued",
    )  # fmt: skip
    assert Job.objects.get().pk == shown["job"]["id"]
    again = invoke("ssl", "retry", str(shown["id"]))
    assert again.exit_code == 2 and "did not fail an issuance" in again.output
    assert Job.objects.count() == 1


def test_an_indented_key_is_kept_as_openssl_reads_it(invoke: Invoke, site: Site, tmp_path: Path) -> None:
    cert, key = leaf(tmp_path, "good")
    indented = "".join(f"    {line}\r\n" for line in key.read_text().splitlines())
    result = invoke("ssl", "upload", str(site.pk), "--cert", str(cert), "--key", "-", input=indented)
    assert result.exit_code == 0, result.output
    kept = Certificate.objects.get().private_key
    assert kept == key.read_text()  # PKCS#8 PEM, one line per 64 characters, no indentation, \n


@pytest.mark.parametrize("command", ["renew", "remove"])
def test_renew_and_remove_wait_for_a_certificate_under_way(invoke: Invoke, site: Site, command: str) -> None:
    active(site)
    Certificate.objects.create(site=site, kind=CertificateKind.ACME, domains=[DOMAIN], status="installing")
    result = invoke("ssl", command, str(site.pk))
    assert result.exit_code == 2 and "is still installing: wait for it to finish" in result.output
    assert not Job.objects.exists()


def test_names_the_site_gained_or_dropped_since_the_certificate_are_flagged(
    invoke: Invoke, site: Site
) -> None:
    active(site, domains=[DOMAIN, "old.example.com"], names=[DOMAIN, "old.example.com"])
    shown = json.loads(invoke("ssl", "list", str(site.pk), "--json").stdout)["certificates"][0]
    assert shown["problems"] == [
        f"does not cover {ALIAS}: browsers warn on it over HTTPS; issue a certificate that includes it",
        "lists old.example.com, no longer a name of the site: issue a new one before it renews",
    ]
