"""ufw, enabled with the SSH port the panel uses open first; and one rule at a time."""

from __future__ import annotations

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import PackageInstaller, PackageManager, PanelStep, ServerPackage, Step
from brokeforge.packages.base.shell import apt_install
from brokeforge.packages.services.firewall.milestones import (
    FirewallInstallerMilestones as M,
)
from brokeforge.packages.services.firewall.milestones import (
    FirewallRuleInstallerMilestones as RuleM,
)
from brokeforge.packages.services.firewall.rules import FirewallRule, parse_ufw_status

UFW_PACKAGES = ["ufw"]


class FirewallInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.FIREWALL_UFW

    def package_type(self) -> PackageType:
        return PackageType.FIREWALL

    def milestones(self) -> type[M]:
        return M

    def execute(self) -> None:
        # The port we are connected through: opening it before enabling never locks us out.
        ssh = FirewallRule.validated(self.server.ssh_port, "SSH")
        self.install(self.commands(ssh), instance="")

    def commands(self, ssh: FirewallRule) -> list[Step]:
        return [
            self.track(M.INSTALL_UFW),
            apt_install(UFW_PACKAGES),
            self.track(M.ALLOW_SSH),
            ssh.ufw_command(),
            self.track(M.ENABLE_FIREWALL),
            "ufw default deny incoming",
            "ufw default allow outgoing",
            "ufw --force enable",
            self.track(M.VERIFY),
            "ufw status | grep -qx 'Status: active'",
            self.persist_installed("ufw", {"ssh_port": ssh.port}),
            self.track(M.COMPLETE),
        ]


def read_back_rules(manager: PackageManager) -> PanelStep:
    """A step that keeps the ufw row's copy of the active rules as the server reports them."""

    def record() -> None:
        status = parse_ufw_status(manager.query("ufw status").stdout)
        package = manager.server.packages.get(
            package_type=PackageType.FIREWALL, package_name=PackageName.FIREWALL_UFW, instance=""
        )
        package.configuration = {**package.configuration, **status}
        package.save(update_fields=["configuration", "updated_at"])

    return manager.panel("Record the firewall's active rules", record)


class FirewallRuleInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.FIREWALL_RULE

    def package_type(self) -> PackageType:
        return PackageType.FIREWALL

    def milestones(self) -> type[RuleM]:
        return RuleM

    def execute(self, rule: FirewallRule) -> None:
        if rule.rule_type == "deny" and rule.port == self.server.ssh_port:
            raise ValueError(f"Refusing to deny port {rule.port}: the panel reaches this server through it.")
        self.install(self.commands(rule), instance=rule.key)

    def commands(self, rule: FirewallRule) -> list[Step]:
        return [
            self.track(RuleM.APPLY_RULE),
            rule.ufw_command(),
            self.persist("", rule.configuration(), instance=rule.key),
            self.track(RuleM.RECORD_RULES),
            read_back_rules(self),
            self.track(RuleM.COMPLETE),
        ]
