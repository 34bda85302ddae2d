"""What the panel steps of a commands list write to the database, run by a stand-in Runner.

The stand-in answers shell commands from a table; no SSH is involved (that is tested on real servers).
"""

import shlex
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext

import pytest

from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.enums import CredentialType, PhpVersion
from brokeforge.packages.services.connection.installer import OS_RELEASE
from brokeforge.packages.services.firewall.installer import FirewallRuleInstaller
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.packages.services.php.installer import PhpInstaller
from brokeforge.packages.services.php.milestones import PhpInstallerMilestones
from brokeforge.packages.services.provision.installer import ProvisionInstaller
from brokeforge.servers.models import Server, ServerPackage, ServerPackageEvent
from brokeforge.ssh import CommandFailed, CommandResult


class TableRunner:
    job_id: int | None = None

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        self.commands: list[str] = []

    def section(self, name: str) -> AbstractContextManager[None]:
        return nullcontext()

    def command(
        self,
        server: Server,
        credential: CredentialType,
        command: str,
        *,
        secrets: frozenset[str],
        timeout: float | None = None,
        skippable: bool = True,
    ) -> CommandResult:
        self.commands.append(command)
        if command not in self.outputs:
            raise CommandFailed(command, 1, "not in the table")
        return CommandResult(0, self.outputs[command], "")

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        action()


@pytest.fixture
def runner() -> Iterator[TableRunner]:
    table = TableRunner({"ufw status": "Status: active\n--\n80/tcp    ALLOW    Anywhere    # HTTP\n"})
    token = current_runner.set(table)
    yield table
    current_runner.reset(token)


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
    record = steps[3]
    assert not isinstance(record, str)
    record()
    assert ServerPackage.objects.get().configuration == {
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
    runner.outputs.update({"true": "", "sudo -n true && id": "uid=1000(brokeforge)"})
    runner.outputs[f"sh -c {shlex.quote(OS_RELEASE)}"] = "debian\n12\nDebian GNU/Linux 12 (bookworm)\n"
    connect = ProvisionInstaller(server).commands(PhpVersion.PHP82)[1]
    assert not isinstance(connect, str)
    connect()
    server.refresh_from_db()
    assert server.provision["1"] == "completed"
    assert (server.os_name, server.os_version) == ("Debian GNU/Linux 12 (bookworm)", "12")
