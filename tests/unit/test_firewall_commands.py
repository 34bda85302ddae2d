import pytest

from brokeforge.packages.services.firewall.installer import FirewallRuleInstaller
from brokeforge.packages.services.firewall.remover import FirewallRuleRemover
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


@pytest.mark.parametrize("case", CASES["firewall_rule_remover"])
def test_firewall_rule_remover_commands(unsaved_server: Server, case: str) -> None:
    assert (
        describe(build(unsaved_server, "firewall_rule_remover", case))
        == expected("firewall_rule_remover")[case]
    )


@pytest.mark.parametrize("ssh_port", [22, 2222])
def test_deleting_the_rule_the_panel_connects_through_is_refused(ssh_port: int) -> None:
    remover = FirewallRuleRemover(Server(name="web-1", ssh_port=ssh_port))
    with pytest.raises(ValueError, match=f"Refusing to delete the rule for port {ssh_port}"):
        remover.execute(FirewallRule.validated(ssh_port, "SSH"))


def test_a_rule_is_deleted_by_the_spec_it_was_added_with() -> None:
    rule = FirewallRule.validated(8080, "alt http", "allow", "tcp", "192.0.2.7")
    added = rule.ufw_command()
    assert added == "ufw allow proto tcp from 192.0.2.7/32 to any port 8080 comment 'alt http'"
    assert rule.ufw_delete_command() == "ufw delete " + added.removeprefix("ufw ").split(" comment ")[0]
    assert FirewallRule.from_configuration(rule.configuration()) == rule
