from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.firewall.installer import FirewallInstaller, FirewallRuleInstaller
from brokeforge.packages.services.firewall.remover import FirewallRuleRemover
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.servers.models import Server


class FirewallInstallerJob(PackageJob):
    def label(self) -> str:
        return f"Install the firewall on {self.server.name}"

    def run(self) -> None:
        FirewallInstaller(self.server).execute()


class _FirewallRuleJob(PackageJob):
    """One rule per job (the seeds' rule 4): a failed rule is retried alone."""

    verb = ""

    def __init__(
        self, server: Server, port: int, name: str = "", rule_type: str = "allow",
        protocol: str = "tcp", from_ip_address: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(server, port, name, rule_type, protocol, from_ip_address)
        self.rule = FirewallRule.validated(port, name, rule_type, protocol, from_ip_address)

    def label(self) -> str:
        return f"Firewall: {self.verb} {self.rule.key} on {self.server.name}"


class FirewallRuleInstallerJob(_FirewallRuleJob):
    verb = "add"

    def run(self) -> None:
        FirewallRuleInstaller(self.server).execute(self.rule)


class FirewallRuleRemoverJob(_FirewallRuleJob):
    verb = "delete"

    def run(self) -> None:
        FirewallRuleRemover(self.server).execute(self.rule)
