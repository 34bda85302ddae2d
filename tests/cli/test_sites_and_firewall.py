"""`brokeforge sites run|commands`, `firewall list|delete`, `jobs list --site`: only queueing, no SSH."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Site

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(add_server: Any) -> Site:
    server = Server.objects.get(pk=add_server()["id"])
    return Site.objects.create(server=server, domain="shop.example.com", system_user="shop")


def test_sites_run_queues_the_words_after_the_dashes_as_one_command(invoke: Invoke, site: Site) -> None:
    result = invoke("sites", "run", str(site.pk), "--json", "--", "php", "artisan", "migrate", "--force")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    job = Job.objects.get(pk=shown["id"])
    assert (shown["site_id"], shown["site_domain"], shown["status"]) == (
        site.pk,
        "shop.example.com",
        "queued",
    )
    assert job.arguments == ["php artisan migrate --force", 120]


def test_sites_run_refuses_a_bad_timeout(invoke: Invoke, site: Site) -> None:
    result = invoke("sites", "run", str(site.pk), "--timeout", "0", "--", "true")
    assert result.exit_code == 2
    assert not Job.objects.exists()


def test_sites_commands_lists_the_results(invoke: Invoke, site: Site) -> None:
    invoke("sites", "run", str(site.pk), "--", "echo", "[/bold]")
    Job.objects.update(
        status=JobStatus.SUCCEEDED,
        result={"command": "echo [/bold]", "output": "[/bold]\n", "error_output": "", "exit_code": 0,
                "ran_at": "2026-11-23T10:00:00+00:00", "duration_ms": 5},
    )  # fmt: skip
    listed = json.loads(invoke("sites", "commands", str(site.pk), "--json").stdout)
    assert [(row["result"]["command"], row["result"]["exit_code"]) for row in listed] == [("echo [/bold]", 0)]
    table = invoke("sites", "commands", str(site.pk))
    assert table.exit_code == 0 and "echo [/bold]" in table.stdout


def test_jobs_list_filters_by_site(invoke: Invoke, site: Site) -> None:
    invoke("sites", "run", str(site.pk), "--", "true")
    listed = json.loads(invoke("jobs", "list", "--site", str(site.pk), "--json").stdout)
    assert [row["site_id"] for row in listed] == [site.pk]
    assert json.loads(invoke("jobs", "list", "--site", str(site.pk + 1), "--json").stdout) == []


def test_an_unknown_site_is_a_clear_error(invoke: Invoke, site: Site) -> None:
    result = invoke("sites", "run", "999", "--", "true")
    assert result.exit_code == 2 and "There is no site #999" in result.output


def rule_row(server: Server, port: int) -> ServerPackage:
    rule = FirewallRule.validated(port, "web")
    return ServerPackage.objects.create(
        server=server, package_type=PackageType.FIREWALL, package_name=PackageName.FIREWALL_RULE,
        instance=rule.key, configuration=rule.configuration(), status="installed",
    )  # fmt: skip


def test_firewall_list_and_delete(invoke: Invoke, add_server: Any) -> None:
    server = Server.objects.get(pk=add_server()["id"])
    rule_row(server, 22)
    web = rule_row(server, 8080)
    listed = json.loads(invoke("firewall", "list", str(server.pk), "--json").stdout)
    assert [row["rule"] for row in listed] == ["allow 22/tcp from any", "allow 8080/tcp from any"]

    deleted = invoke("firewall", "delete", str(web.pk), "--json")
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(deleted.stdout)["label"] == "Firewall: delete allow 8080/tcp from any on web-1"


def test_firewall_delete_refuses_the_ssh_rule(invoke: Invoke, add_server: Any) -> None:
    server = Server.objects.get(pk=add_server()["id"])
    ssh = rule_row(server, 22)
    result = invoke("firewall", "delete", str(ssh.pk))
    assert result.exit_code == 2 and "cannot be deleted" in result.output
    assert not Job.objects.exists()
