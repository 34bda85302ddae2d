"""What the panel steps of a commands list write to the database, run by a stand-in Runner.

The stand-in answers shell commands from a table; no SSH is involved (that is tested on real servers).
"""

import shlex

import pytest

from brokeforge.lib.enums import PhpVersion
from brokeforge.packages.base import PanelStep
from brokeforge.packages.services.connection.installer import OS_RELEASE
from brokeforge.packages.services.firewall.installer import FirewallRuleInstaller
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.packages.services.php.installer import PhpInstaller
from brokeforge.packages.services.php.milestones import PhpInstallerMilestones
from brokeforge.packages.services.provision.installer import ProvisionInstaller
from brokeforge.servers.models import Server, ServerPackage, ServerPackageEvent
from brokeforge.ssh import CommandFailed
from tests.unit.helpers import TableRunner


def test_track_records_the_milestone_with_its_step(server: Server, runner: TableRunner) -> None:
    PhpInstaller(server).track(PhpInstallerMilestones.VERIFY)()
    event = ServerPackageEvent.objects.get()
    assert (event.service_type, event.provision_type, event.milestone, event.label) == (
        "php",
        "install",
        "verify",
        "Checking PHP-FPM is running",
    )
    assert (event.current_step, event.total_steps) == (3, 4)


def test_persist_upserts_one_row(server: Server, runner: TableRunner) -> None:
    installer = PhpInstaller(server)
    runner.outputs["dpkg-query -W -f='${Version}' php8.2-fpm"] = "8.2.29-1~deb12u1"
    persist = installer.commands(PhpVersion.PHP82)[-2]
    assert not isinstance(persist, str)
    persist()
    persist()
    package = ServerPackage.objects.get()
    assert (package.package_type, package.package_name, package.package_version) == (
        "php",
        "php",
        "8.2.29-1~deb12u1",
    )
    assert package.configuration["fpm_service"] == "php8.2-fpm"


def test_rule_installer_records_the_active_rules(server: Server, runner: TableRunner) -> None:
    ServerPackage.objects.create(
        server=server, package_type="firewall", package_name="firewall_ufw", configuration={"ssh_port": 22}
    )
    steps = FirewallRuleInstaller(server).commands(FirewallRule.validated(80, "HTTP"))
    record = steps[4]
    assert isinstance(record, PanelStep)
    record()
    assert ServerPackage.objects.get(package_name="firewall_ufw").configuration == {
        "ssh_port": 22,
        "active": True,
        "rules": [{"to": "80/tcp", "action": "ALLOW", "from": "Anywhere", "comment": "HTTP"}],
    }


def test_a_failed_provisioning_step_is_marked_failed(server: Server, runner: TableRunner) -> None:
    connect = ProvisionInstaller(server).commands(PhpVersion.PHP82)[1]  # "true" is not in the table
    assert not isinstance(connect, str)
    with pytest.raises(CommandFailed):
        connect()
    server.refresh_from_db()
    assert server.provision["1"] == "failed"
    assert server.provision["2"] == "pending"


def test_a_completed_provisioning_step_is_marked_completed(server: Server, runner: TableRunner) -> None:
    runner.outputs.update({"true": "", "id && sudo -n -l": "uid=1000(brokeforge)"})
    runner.outputs[f"sh -c {shlex.quote(OS_RELEASE)}"] = "debian\n12\nDebian GNU/Linux 12 (bookworm)\n"
    connect = ProvisionInstaller(server).commands(PhpVersion.PHP82)[1]
    assert not isinstance(connect, str)
    connect()
    server.refresh_from_db()
    assert server.provision["1"] == "completed"
    assert (server.os_name, server.os_version) == ("Debian GNU/Linux 12 (bookworm)", "12")
