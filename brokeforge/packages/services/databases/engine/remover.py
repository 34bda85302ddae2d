"""Take a database server off: stopped, its packages removed. Its data directory stays on the
server (a reinstall finds and imports it again); the panel forgets its databases and users.

Refused while it holds databases unless the user confirmed by typing the server's name: the
action asks, and this says no again if a job arrives here without it."""

from __future__ import annotations

import shlex

from brokeforge.databases.models import Database, DatabaseUser
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import PackageRemover, ServerPackage, Step
from brokeforge.packages.base.shell import APT_GET, service_name
from brokeforge.packages.services.databases.engine.milestones import DatabaseEngineRemoverMilestones as M
from brokeforge.packages.services.databases.engines import Engine, engine


class DatabasesPresent(ValueError):
    pass


class DatabaseEngineRemover(PackageRemover, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_ENGINE

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, engine_name: str, confirmed: bool = False) -> None:
        chosen = engine(engine_name)
        held = Database.objects.filter(server=self.server, engine=chosen.engine).count()
        if held and not confirmed:
            raise DatabasesPresent(
                f"{chosen.label} on {self.server.name} holds {held} database(s): removing it needs the "
                "server's name typed as confirmation."
            )
        self.remove(self.commands(chosen), instance=chosen.engine.value)

    def commands(self, chosen: Engine) -> list[Step]:
        unit = shlex.quote(service_name(chosen.service))
        return [
            self.track(M.STOP_SERVICE),
            f"if [ -d /run/systemd/system ]; then systemctl disable --now {unit}; "
            f"else service {unit} stop; fi || true",
            self.track(M.REMOVE_PACKAGES),
            # Removed, not purged: the databases' files and the configuration stay, and say so.
            f'packages="$({chosen.installed_packages()})"; '
            f'if [ -n "$packages" ]; then {APT_GET} remove $packages; fi',
            f"echo 'The data directory {chosen.data_directory} stays on the server.'",
            self.track(M.RECORD),
            self.panel(f"Forget {chosen.label}'s databases and users", lambda: self._forget(chosen)),
            self.forget(instance=chosen.engine.value),
            self.track(M.COMPLETE),
        ]

    def _forget(self, chosen: Engine) -> None:
        Database.objects.filter(server=self.server, engine=chosen.engine).delete()
        DatabaseUser.objects.filter(server=self.server, engine=chosen.engine).delete()
