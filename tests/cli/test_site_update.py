"""`brokeforge sites update`: only the options given change, the JSON shows the site as recorded (the
job changes it) and its job; what cannot change exits 2 saying why, with nothing queued."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.jobs.models import Job
from brokeforge.lib.enums import CertificateKind, CertificateStatus, PackageName, PackageStatus, PackageType
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Certificate, Site

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(add_server: Any, invoke: Invoke) -> Site:
    server = Server.objects.get(pk=add_server()["id"])
    for name, kind, instance in [
        (PackageName.NGINX, PackageType.WEBSERVER, ""),
        (PackageName.PHP, PackageType.PHP, "8.2"),
    ]:
        ServerPackage.objects.create(
            server=server, package_type=kind, package_name=name, instance=instance,
            status=PackageStatus.INSTALLED,
        )  # fmt: skip
    result = invoke("sites", "add", str(server.pk), "--domain", "shop.example.com", "--json")
    Site.objects.update(status="active")
    Job.objects.all().delete()
    return Site.objects.get(pk=json.loads(result.stdout)["id"])


def test_update_queues_the_options_given(invoke: Invoke, site: Site) -> None:
    result = invoke("sites", "update", str(site.pk), "--aliases", "a.example.com,b.example.com", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["id"], shown["aliases"], shown["job"]["status"]) == (site.pk, [], "queued")
    job = Job.objects.get(pk=shown["job_id"])
    assert json.loads(job.arguments[0]) == {"aliases": ["a.example.com", "b.example.com"]}
    text = invoke("sites", "update", str(site.pk), "--web-dir", "", "--redirect", "www-to-apex")
    assert "Update the settings of shop.example.com: web_directory, redirect" in " ".join(text.stdout.split())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--domain", "other.example.com"], "domain cannot change"),
        (["--type", "static"], "type cannot change"),
        (["--redirect", "none"], "Nothing to change"),
        (["--php", "8.4"], "PHP 8.4 is not installed"),
        (["--proxy-port", "3000"], "Only a proxy site has a proxy port"),
        (["--aliases", "bad name"], "is not a host name"),
    ],
)
def test_what_cannot_change_exits_2(invoke: Invoke, site: Site, options: list[str], message: str) -> None:
    result = invoke("sites", "update", str(site.pk), *options, "--json")
    assert result.exit_code == 2 and message in result.output
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--force-https", "on"], "Force HTTPS needs a certificate on shop.example.com: issue or upload one"),
        (["--hsts", "300"], "HSTS needs a certificate on shop.example.com: issue or upload one"),
    ],
)
def test_https_settings_without_a_certificate_exit_2(
    invoke: Invoke, site: Site, options: list[str], message: str
) -> None:
    result = invoke("sites", "update", str(site.pk), *options, "--json")
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert result.stdout == "" and not Job.objects.exists()


def _serve_a_certificate(site: Site) -> None:
    Certificate.objects.create(
        site=site, kind=CertificateKind.ACME, status=CertificateStatus.ACTIVE, domains=[site.domain],
        names=[site.domain], fingerprint="AA:BB",
    )  # fmt: skip


def test_force_https_and_hsts_are_queued_with_a_certificate(invoke: Invoke, site: Site) -> None:
    _serve_a_certificate(site)
    result = invoke("sites", "update", str(site.pk), "--force-https", "on", "--hsts", "31536000", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    # The record keeps its settings until the job has put the new ones in place.
    assert (shown["force_https"], shown["hsts_max_age"], shown["job"]["status"]) == (False, 0, "queued")
    job = Job.objects.get(pk=shown["job_id"])
    assert json.loads(job.arguments[0]) == {"force_https": True, "hsts_max_age": 31536000}


def test_hsts_0_and_force_https_off_turn_them_off(invoke: Invoke, site: Site) -> None:
    _serve_a_certificate(site)
    Site.objects.filter(pk=site.pk).update(force_https=True, hsts_max_age=300)
    shown = json.loads(invoke("sites", "show", str(site.pk), "--json").stdout)
    assert (shown["force_https"], shown["hsts_max_age"]) == (True, 300)
    result = invoke("sites", "update", str(site.pk), "--force-https", "off", "--hsts", "0", "--json")
    assert result.exit_code == 0, result.output
    job = Job.objects.get(pk=json.loads(result.stdout)["job_id"])
    assert json.loads(job.arguments[0]) == {"force_https": False, "hsts_max_age": 0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--hsts", "-1"], "HSTS max-age must be between 0 (off) and 63072000 seconds"),
        (["--hsts", "63072001"], "HSTS max-age must be between 0 (off) and 63072000 seconds"),
        (["--hsts", "a year"], "'a year' is not a valid integer"),
        (["--force-https", "yes"], "'yes' is not one of 'on', 'off'"),
        (["--force-https", "off"], "Nothing to change"),
    ],
)
def test_bad_https_settings_exit_2(invoke: Invoke, site: Site, options: list[str], message: str) -> None:
    _serve_a_certificate(site)
    result = invoke("sites", "update", str(site.pk), *options)
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert not Job.objects.exists()
