"""Delete one firewall rule from the server, and its record."""

from __future__ import annotations

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import PackageRemover, ServerPackage, Step
from brokeforge.packages.services.firewall.installer import read_back_rules
from brokeforge.packages.services.firewall.milestones import FirewallRuleRemoverMilestones as M
from brokeforge.packages.services.firewall.rules import FirewallRule


class FirewallRuleRemover(PackageRemover, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.FIREWALL_RULE

    def package_type(self) -> PackageType:
        return PackageType.FIREWALL

    def milestones(self) -> type[M]:
        return M

    def execute(self, rule: FirewallRule) -> None:
        if rule.rule_type == "allow" and rule.port == self.server.ssh_port and rule.from_ip_address is None:
            raise ValueError(
                f"Refusing to delete the rule for port {rule.port}: the panel reaches this server through it."
            )
        self.remove(self.commands(rule), instance=rule.key)

    def commands(self, rule: FirewallRule) -> list[Step]:
        return [
            self.track(M.REMOVE_RULE),
            rule.ufw_delete_command(),
            self.forget(instance=rule.key),
            self.track(M.RECORD_RULES),
            read_back_rules(self),
            self.track(M.COMPLETE),
        ]
