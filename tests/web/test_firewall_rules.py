"""Deleting a firewall rule from the server page: one job per rule; the SSH rule cannot go."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.servers.models import Server, ServerPackage


def make_rule(server: Server, port: int, status: str = PackageStatus.INSTALLED) -> ServerPackage:
    rule = FirewallRule.validated(port, f"port {port}")
    return ServerPackage.objects.create(
        server=server, package_type=PackageType.FIREWALL, package_name=PackageName.FIREWALL_RULE,
        instance=rule.key, configuration=rule.configuration(), status=status,
    )  # fmt: skip


def test_the_server_page_lists_rules_with_a_delete_button(user_client: Client, server: Server) -> None:
    rule = make_rule(server, 8080)
    page = user_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    assert "allow 8080/tcp from any" in page
    assert reverse("firewall_rule_delete", args=[server.pk, rule.pk]) in page


def test_deleting_a_rule_queues_its_remover(user_client: Client, server: Server) -> None:
    rule = make_rule(server, 8080)
    response = user_client.post(reverse("firewall_rule_delete", args=[server.pk, rule.pk]))
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.kind.endswith("FirewallRuleRemoverJob")
    assert job.arguments == [8080, "port 8080", "allow", "tcp", None]


def test_the_ssh_rule_cannot_be_deleted(user_client: Client, server: Server) -> None:
    rule = make_rule(server, server.ssh_port)
    response = user_client.post(reverse("firewall_rule_delete", args=[server.pk, rule.pk]), follow=True)
    assert "cannot be deleted: the panel reaches" in response.content.decode()
    assert not Job.objects.exists()


def test_a_rule_being_removed_is_not_removed_twice(user_client: Client, server: Server) -> None:
    rule = make_rule(server, 8080, PackageStatus.REMOVING)
    user_client.post(reverse("firewall_rule_delete", args=[server.pk, rule.pk]))
    assert not Job.objects.exists()


def test_another_users_rule_is_not_found(user_client: Client, server: Server, other_server: Server) -> None:
    rule = make_rule(other_server, 8080)
    assert user_client.post(reverse("firewall_rule_delete", args=[server.pk, rule.pk])).status_code == 404
    assert (
        user_client.post(reverse("firewall_rule_delete", args=[other_server.pk, rule.pk])).status_code == 404
    )
    assert not Job.objects.exists()
