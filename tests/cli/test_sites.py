"""`brokeforge sites add|list|show|delete`: JSON shapes, exit codes, bad input changing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Site

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(add_server: Any) -> Server:
    server = Server.objects.get(pk=add_server()["id"])
    for name, kind, instance in [
        (PackageName.NGINX, PackageType.WEBSERVER, ""),
        (PackageName.PHP, PackageType.PHP, "8.2"),
    ]:
        ServerPackage.objects.create(
            server=server,
            package_type=kind,
            package_name=name,
            instance=instance,
            status=PackageStatus.INSTALLED,
        )
    return server


def test_add_prints_the_site_and_its_job(invoke: Invoke, server: Server) -> None:
    result = invoke(
        "sites",
        "add",
        str(server.pk),
        "--domain",
        "shop.example.com",
        "--aliases",
        "a.example.com,b.example.com",
        "--json",
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    site = Site.objects.get()
    assert (shown["id"], shown["user"], shown["path"], shown["type"], shown["php_version"]) == (
        site.pk, "shop_example_com", "/home/shop_example_com/shop.example.com", "php", "8.2",
    )  # fmt: skip
    assert shown["aliases"] == ["a.example.com", "b.example.com"]
    assert shown["job_id"] == shown["job"]["id"] == Job.objects.get().pk
    assert shown["job"]["status"] == "queued"


def test_proxy_and_static_sites(invoke: Invoke, server: Server) -> None:
    proxy = invoke(
        "sites",
        "add",
        str(server.pk),
        "--domain",
        "app.example.com",
        "--type",
        "proxy",
        "--proxy-port",
        "3000",
        "--json",
    )
    assert json.loads(proxy.stdout)["proxy_port"] == 3000
    static = invoke(
        "sites",
        "add",
        str(server.pk),
        "--domain",
        "docs.example.com",
        "--type",
        "static",
        "--web-dir",
        "dist",
        "--redirect",
        "www-to-apex",
        "--json",
    )
    assert (json.loads(static.stdout)["web_directory"], json.loads(static.stdout)["php_version"]) == (
        "dist",
        None,
    )
    listed = json.loads(invoke("sites", "list", str(server.pk), "--json").stdout)
    assert [(row["domain"], row["type"]) for row in listed] == [
        ("app.example.com", "proxy"),
        ("docs.example.com", "static"),
    ]
    table = invoke("sites", "list", str(server.pk))
    assert table.exit_code == 0 and "docs.example.com" in table.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--domain", "not a domain"], "is not a host name"),
        (["--domain", "a.example.com", "--php", "8.4"], "PHP 8.4 is not installed"),
        (["--domain", "a.example.com", "--type", "proxy", "--proxy-port", "http"], "must be a number"),
        (["--domain", "a.example.com", "--web-dir", "/etc"], "must be relative"),
        (["--domain", "a.example.com", "--type", "static", "--php", "8.2"], "does not run PHP"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    invoke: Invoke, server: Server, arguments: list[str], message: str
) -> None:
    result = invoke("sites", "add", str(server.pk), *arguments, "--json")
    assert result.exit_code == 2
    assert message in result.output
    assert not Site.objects.exists() and not Job.objects.exists()


def test_show_and_delete(invoke: Invoke, server: Server) -> None:
    added = json.loads(
        invoke("sites", "add", str(server.pk), "--domain", "shop.example.com", "--json").stdout
    )
    shown = json.loads(invoke("sites", "show", str(added["id"]), "--json").stdout)
    assert shown["latest_job"]["label"] == "Create site shop.example.com"
    busy = invoke("sites", "delete", str(added["id"]), "--json")
    assert busy.exit_code == 2 and "has a job queued or running" in busy.output
    Job.objects.update(status=JobStatus.SUCCEEDED)
    deleted = invoke("sites", "delete", str(added["id"]), "--json")
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(deleted.stdout)["label"] == "Delete site shop.example.com"
    assert invoke("sites", "show", "999").exit_code == 2
