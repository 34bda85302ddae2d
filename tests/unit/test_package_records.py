"""The ServerPackage / SitePackage marker decides which tables a package's milestones and inventory
rows go to, and the inventory row's status moves while its job runs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.packages.base import (
    Milestones,
    PackageInstaller,
    PackageRemover,
    ServerPackage,
    SitePackage,
    Step,
)
from brokeforge.servers.models import Server, ServerPackageEvent
from brokeforge.servers.models import ServerPackage as ServerPackageRow
from brokeforge.sites.models import ServerSitePackage, ServerSitePackageEvent, Site
from brokeforge.ssh import CommandFailed
from tests.unit.helpers import TableRunner


class ThingMilestones(Milestones):
    WORK = "work", "Working"
    COMPLETE = "complete", "Done"


class _Thing:
    """Shared by the four test packages below: which tables they write is all that differs."""

    def package_name(self) -> PackageName:
        return PackageName.PHP

    def package_type(self) -> PackageType:
        return PackageType.PHP

    def milestones(self) -> type[ThingMilestones]:
        return ThingMilestones


class ServerThingInstaller(_Thing, PackageInstaller, ServerPackage):
    def execute(self, command: str, instance: str) -> None:
        self.install(self.commands(command, instance), instance=instance)

    def commands(self, command: str, instance: str) -> list[Step]:
        return [
            self.track(ThingMilestones.WORK),
            self.panel("look", lambda: seen.append(self._status(instance))),
            command,
            self.persist("1.0", {"k": "v"}, instance=instance),
            self.track(ThingMilestones.COMPLETE),
        ]

    def _status(self, instance: str) -> str:
        return self.records().rows(self.kind(), instance).get().status


class SiteThingInstaller(ServerThingInstaller, SitePackage):  # type: ignore[misc]
    pass


class ServerThingRemover(_Thing, PackageRemover, ServerPackage):
    def execute(self, command: str, instance: str) -> None:
        self.remove(self.commands(command, instance), instance=instance)

    def commands(self, command: str, instance: str) -> list[Step]:
        return [
            self.track(ThingMilestones.WORK),
            self.panel(
                "look",
                lambda: seen.extend(
                    self.records().rows(self.kind(), instance).values_list("status", flat=True)
                ),
            ),
            command,
            self.forget(instance=instance),
            self.track(ThingMilestones.COMPLETE),
        ]


class SiteThingRemover(ServerThingRemover, SitePackage):  # type: ignore[misc]
    pass


seen: list[str] = []


@pytest.fixture(autouse=True)
def _clear_seen() -> None:
    seen.clear()


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(server=server, domain="shop.example.com", system_user="shop")


@pytest.fixture
def table(runner: TableRunner) -> TableRunner:
    runner.outputs["true"] = ""
    return runner


def test_a_server_package_writes_server_tables(server: Server, table: TableRunner) -> None:
    ServerThingInstaller(server).execute("true", "8.2")
    assert seen == [PackageStatus.INSTALLING]
    row = ServerPackageRow.objects.get()
    assert (row.package_type, row.package_name, row.instance, row.package_version, row.status) == (
        "php", "php", "8.2", "1.0", PackageStatus.INSTALLED,
    )  # fmt: skip
    assert [e.milestone for e in ServerPackageEvent.objects.all()] == ["work", "complete"]
    assert not ServerSitePackage.objects.exists() and not ServerSitePackageEvent.objects.exists()


def test_a_site_package_writes_site_tables(server: Server, site: Site, table: TableRunner) -> None:
    SiteThingInstaller(server, site).execute("true", "")
    assert seen == [PackageStatus.INSTALLING]
    row = ServerSitePackage.objects.get()
    assert (row.site, row.service_type, row.service_name, row.status) == (site, "php", "php", "installed")
    assert row.configuration == {"k": "v", "version": "1.0"}
    assert row.installed_at is not None and row.uninstalled_at is None
    events = list(ServerSitePackageEvent.objects.all())
    assert [(e.milestone, e.status, e.site_id) for e in events] == [
        ("work", "success", site.pk),
        ("complete", "success", site.pk),
    ]
    assert not ServerPackageRow.objects.exists() and not ServerPackageEvent.objects.exists()


def test_a_site_package_without_a_site_fails_loudly(server: Server, table: TableRunner) -> None:
    with pytest.raises(ValueError, match="is a site package: give it the site"):
        SiteThingInstaller(server).execute("true", "")


def test_several_rows_of_one_kind_live_side_by_side(server: Server, table: TableRunner) -> None:
    ServerThingInstaller(server).execute("true", "8.2")
    ServerThingInstaller(server).execute("true", "8.4")
    assert sorted(ServerPackageRow.objects.values_list("instance", flat=True)) == ["8.2", "8.4"]


def test_a_failed_install_leaves_its_row_failed(server: Server, table: TableRunner) -> None:
    with pytest.raises(CommandFailed):
        ServerThingInstaller(server).execute("false", "8.2")  # not in the table: fails
    assert ServerPackageRow.objects.get().status == PackageStatus.FAILED


def test_a_failed_site_package_keeps_its_error_on_the_milestone_it_reached(
    server: Server, site: Site, table: TableRunner
) -> None:
    table.secrets.add("hunter2-secret")
    with pytest.raises(CommandFailed):
        SiteThingInstaller(server, site).execute("echo hunter2-secret; false", "")
    event = ServerSitePackageEvent.objects.get()
    assert (event.milestone, event.status) == ("work", "failed")
    assert "not in the table" in event.error_log
    assert "hunter2-secret" not in event.error_log
    assert ServerSitePackage.objects.get().status == PackageStatus.FAILED


def test_a_server_remover_deletes_exactly_its_row(server: Server, table: TableRunner) -> None:
    for instance in ("8.2", "8.4"):
        ServerThingInstaller(server).execute("true", instance)
    seen.clear()
    ServerThingRemover(server).execute("true", "8.2")
    assert seen == [PackageStatus.REMOVING]
    assert list(ServerPackageRow.objects.values_list("instance", flat=True)) == ["8.4"]


def test_a_failed_removal_says_so_on_the_row(server: Server, table: TableRunner) -> None:
    ServerThingInstaller(server).execute("true", "8.2")
    with pytest.raises(CommandFailed):
        ServerThingRemover(server).execute("false", "8.2")
    assert ServerPackageRow.objects.get().status == PackageStatus.FAILED


def test_a_site_remover_keeps_the_row_as_history(server: Server, site: Site, table: TableRunner) -> None:
    SiteThingInstaller(server, site).execute("true", "")
    SiteThingRemover(server, site).execute("true", "")
    row = ServerSitePackage.objects.get()
    assert row.status == PackageStatus.UNINSTALLED
    assert row.uninstalled_at is not None and row.installed_at is not None


def test_a_remover_creates_no_row_for_what_was_never_recorded(server: Server, table: TableRunner) -> None:
    ServerThingRemover(server).execute("true", "8.2")
    assert not ServerPackageRow.objects.exists()


def test_a_secret_a_package_registers_becomes_the_jobs(
    owner: User, server: Server, table: TableRunner
) -> None:
    installer = ServerThingInstaller(server)
    assert installer.secret("s3cret-value") == "s3cret-value"
    assert "s3cret-value" in table.secrets
