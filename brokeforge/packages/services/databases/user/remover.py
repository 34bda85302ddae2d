"""Delete one database user from the server: in PostgreSQL, what it owns goes to postgres first."""

from __future__ import annotations

from collections.abc import Sequence

from brokeforge.databases.models import Database, DatabaseUser
from brokeforge.lib.enums import DatabaseStatus, PackageName, PackageType
from brokeforge.packages.base import PackageRemover, ServerPackage, Step
from brokeforge.packages.services.databases import records
from brokeforge.packages.services.databases.access.installer import logins_refresh
from brokeforge.packages.services.databases.engines import engine
from brokeforge.packages.services.databases.user.milestones import DatabaseUserRemoverMilestones as M


class DatabaseUserRemover(PackageRemover, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_USER

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, user: DatabaseUser) -> None:
        databases = Database.objects.filter(
            server=user.server_id, engine=user.engine, status=DatabaseStatus.READY
        )
        names = sorted(databases.values_list("name", flat=True))
        refresh = logins_refresh(self.server, engine(user.engine), without=user)
        records.failing(user, self.secrets, lambda: self.remove(self.commands(user, names, refresh)))

    def commands(self, user: DatabaseUser, databases: list[str], refresh: Sequence[Step] = ()) -> list[Step]:
        """`databases`: where a PostgreSQL role may own objects or hold grants; `refresh`: the
        steps that take its remote logins away."""
        chosen = engine(user.engine)
        account = chosen.account(user.name, user.host)
        return [
            self.panel("Mark the user as being deleted", lambda: records.mark(user, DatabaseStatus.DROPPING)),
            self.track(M.DROP),
            chosen.run(
                "drop-user",
                name=account["name"],
                host=account["host"],
                databases=databases,
            ),
            *refresh,
            self.panel("Forget the user", lambda: records.forget(user)),
            self.track(M.COMPLETE),
        ]
