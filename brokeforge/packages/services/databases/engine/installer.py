"""A database server (MariaDB or PostgreSQL) from the OS archive: installed, started, checked, and
recorded with the version and the character sets it reports; then what it already holds is imported."""

from __future__ import annotations

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import PackageInstaller, PackageManager, PanelStep, ServerPackage, Step
from brokeforge.packages.base.shell import apt_install_fresh, enable_and_start, wait_until_running
from brokeforge.packages.services.databases.engine.milestones import DatabaseEngineInstallerMilestones as M
from brokeforge.packages.services.databases.engine.milestones import DatabaseSyncMilestones as SyncM
from brokeforge.packages.services.databases.engines import Engine, engine, read_json
from brokeforge.packages.services.databases.records import import_inventory


class DatabaseEngineInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_ENGINE

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, engine_name: str) -> None:
        chosen = engine(engine_name)
        self.install(self.commands(chosen), instance=chosen.engine.value)

    def commands(self, chosen: Engine) -> list[Step]:
        return [
            self.track(M.INSTALL_PACKAGES),
            apt_install_fresh(list(chosen.packages)),
            self.track(M.START_SERVICE),
            enable_and_start(chosen.service),
            wait_until_running(chosen.service),
            self.track(M.VERIFY),
            chosen.wait_ready(),
            self.track(M.RECORD),
            record_catalog(self, chosen),
            self.track(M.IMPORT),
            import_from_server(self, chosen),
            self.track(M.COMPLETE),
        ]


def record_catalog(manager: PackageManager, chosen: Engine) -> PanelStep:
    """The engine's inventory row, with what the server itself reports: its version, the character
    sets and collations it offers (the forms offer exactly these), its defaults."""

    def record() -> None:
        catalog = read_json(manager.run_command(chosen.run("catalog", reads_output=True)).stdout) or {}
        configuration = {
            "default_charset": catalog.get("default_charset") or "",
            "default_collation": catalog.get("default_collation") or "",
            "charsets": sorted(catalog.get("charsets") or []),
            "collations": catalog.get("collations") or [],
            "data_directory": chosen.data_directory,
            # PostgreSQL's files are under its version and cluster (/etc/postgresql/15/main/).
            "config_file": catalog.get("config_file") or "",
            "hba_file": catalog.get("hba_file") or "",
        }
        manager.records().record(
            manager.kind(), chosen.engine.value, catalog.get("version", ""), configuration
        )

    return manager.panel(f"Record {chosen.label}'s version and character sets", record)


def import_from_server(manager: PackageManager, chosen: Engine) -> PanelStep:
    def read() -> None:
        inventory = read_json(manager.run_command(chosen.run("inventory", reads_output=True)).stdout)
        import_inventory(manager.server, chosen.engine, inventory)

    return manager.panel(f"Import {chosen.label}'s databases and users", read)


class DatabaseSync(PackageInstaller, ServerPackage):
    """Read again what databases and users an engine holds, and match the panel's list to it."""

    def package_name(self) -> PackageName:
        return PackageName.DATABASE_SYNC

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[SyncM]:
        return SyncM

    def execute(self, engine_name: str) -> None:
        self.install(self.commands(engine(engine_name)))

    def commands(self, chosen: Engine) -> list[Step]:
        return [self.track(SyncM.READ), import_from_server(self, chosen), self.track(SyncM.COMPLETE)]
