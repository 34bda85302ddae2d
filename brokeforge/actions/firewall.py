"""What a user can do to a server's firewall rules: each rule is its own job and its own record."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.packages import registry
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.servers.models import Server, ServerPackage


def rules(server: Server) -> QuerySet[ServerPackage]:
    return server.packages.filter(package_type=PackageType.FIREWALL, package_name=PackageName.FIREWALL_RULE)


def add_rule(
    server: Server,
    port: int | str,
    name: str = "",
    rule_type: str = "allow",
    protocol: str = "tcp",
    from_ip_address: str | None = None,
    user: Any = None,
) -> Job:
    try:
        rule = FirewallRule.validated(port, name, rule_type, protocol, from_ip_address)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    if rule.rule_type == "deny" and rule.port == server.ssh_port:
        raise ActionError(f"Refusing to deny port {rule.port}: the panel reaches {server.name} through it.")
    job_class = registry.service(PackageName.FIREWALL_RULE).installer_job
    return jobs.dispatch(job_class, server, *_arguments(rule), started_by=user)


def delete_rule(package: ServerPackage, user: Any = None) -> Job:
    """Delete one rule from its server; its record goes once the server no longer has it."""
    if package.package_name != PackageName.FIREWALL_RULE:
        raise ActionError(f"Record #{package.pk} is not a firewall rule.")
    if package.status in (PackageStatus.INSTALLING, PackageStatus.REMOVING):
        raise ActionError(f"The rule {package.instance} is {package.status}; wait for that job to end.")
    rule = FirewallRule.from_configuration(package.configuration)
    server = package.server
    if rule.rule_type == "allow" and rule.port == server.ssh_port and rule.from_ip_address is None:
        raise ActionError(
            f"The rule for port {rule.port} cannot be deleted: the panel reaches {server.name} through it."
        )
    remover_job = registry.service(PackageName.FIREWALL_RULE).remover_job
    assert remover_job is not None
    return jobs.dispatch(remover_job, server, *_arguments(rule), started_by=user)


def _arguments(rule: FirewallRule) -> list[Any]:
    return [rule.port, rule.name, rule.rule_type, rule.protocol, rule.from_ip_address]
