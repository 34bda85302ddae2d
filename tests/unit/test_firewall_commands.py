import pytest

from brokeforge.packages.services.firewall.installer import FirewallRuleInstaller
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, build


@pytest.mark.parametrize("case", CASES["firewall"])
def test_firewall_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "firewall", case)) == expected("firewall")[case]


@pytest.mark.parametrize("case", CASES["firewall_rule"])
def test_firewall_rule_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "firewall_rule", case)) == expected("firewall_rule")[case]


def test_ssh_port_is_allowed_before_the_firewall_is_enabled(unsaved_server: Server) -> None:
    steps = describe(build(unsaved_server, "firewall", "ssh on 2222"))
    allow = steps.index("ufw allow proto tcp from any to any port 2222 comment SSH")
    assert allow < steps.index("ufw default deny incoming") < steps.index("ufw --force enable")


@pytest.mark.parametrize("ssh_port", [22, 2222])
def test_denying_the_panels_ssh_port_is_refused_before_anything_runs(ssh_port: int) -> None:
    installer = FirewallRuleInstaller(Server(name="web-1", ssh_port=ssh_port))
    # No job is running: reaching install() would raise RuntimeError, not this ValueError.
    with pytest.raises(ValueError, match=f"Refusing to deny port {ssh_port}"):
        installer.execute(FirewallRule.validated(ssh_port, "", "deny"))
