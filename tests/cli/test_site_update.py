"""`brokeforge sites update`: only the options given change, the JSON shows the site as recorded (the
job changes it) and its job; what cannot change exits 2 saying why, with nothing queued."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Site

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
