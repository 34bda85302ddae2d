"""Make one database user on the server match the panel's record: created (or its password
changed) with the hash the panel computed, and then exactly its grants, no more.

The password never reaches the server: MariaDB is given its mysql_native_password hash,
PostgreSQL its SCRAM-SHA-256 verifier, on the client's stdin. Both, and the password, are masked
in everything the job stores. The record keeps the password (encrypted) only until it is set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brokeforge.databases.models import Database, DatabaseGrant, DatabaseUser
from brokeforge.lib.enums import DatabaseAccess, DatabaseStatus, PackageName, PackageType
from brokeforge.packages.base import PackageInstaller, ServerPackage, Step
from brokeforge.packages.services.databases import records
from brokeforge.packages.services.databases.access.installer import logins_refresh
from brokeforge.packages.services.databases.engines import engine
from brokeforge.packages.services.databases.user.milestones import DatabaseUserInstallerMilestones as M


class DatabaseUserInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_USER

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, user: DatabaseUser) -> None:
        # Computed here, not in commands(): PostgreSQL's verifier has a random salt.
        password_hash = ""
        if user.password:
            password_hash = self.secret(engine(user.engine).password_hash(self.secret(user.password)))
        refresh = logins_refresh(self.server, engine(user.engine))
        records.failing(
            user,
            self.secrets,
            lambda: self.install(self.commands(user, password_hash, grant_map(user), refresh)),
        )

    def commands(
        self,
        user: DatabaseUser,
        password_hash: str,
        databases: list[dict[str, Any]],
        refresh: Sequence[Step] = (),
    ) -> list[Step]:
        """`password_hash`: what the engine stores for the new password, or "" to keep the one set.
        `refresh`: the steps that bring the engine's remote logins up to date (its host may be new)."""
        chosen = engine(user.engine)
        account = chosen.account(user.name, user.host)
        return [
            self.panel("Mark the user as being applied", lambda: records.mark(user, DatabaseStatus.APPLYING)),
            self.track(M.APPLY),
            chosen.run(
                "apply-user",
                name=account["name"],
                host=account["host"],
                password_hash=password_hash,
                password_verifier=password_hash,
                databases=databases,
            ),
            *refresh,
            self.panel("Mark the user as ready (its password is no longer kept)", lambda: _ready(user)),
            self.track(M.COMPLETE),
        ]


def grant_map(user: DatabaseUser) -> list[dict[str, Any]]:
    """Every ready database of the user's engine on its server: the user's access there, and the
    other users granted on it (PostgreSQL's default privileges name them)."""
    databases = Database.objects.filter(
        server=user.server_id, engine=user.engine, status=DatabaseStatus.READY
    )
    grants = DatabaseGrant.objects.filter(database__in=databases).select_related("user")
    result = []
    for database in databases.order_by("name"):
        here = [grant for grant in grants if grant.database_id == database.pk]
        others = [grant for grant in here if grant.user.name != user.name]
        mine = next((grant.access for grant in here if grant.user_id == user.pk), None)
        result.append(
            {
                "name": database.name,
                "access": mine,
                "writers": sorted({g.user.name for g in others if g.access == DatabaseAccess.READ_WRITE}),
                "readers": sorted({g.user.name for g in others if g.access == DatabaseAccess.READ_ONLY}),
            }
        )
    return result


def _ready(user: DatabaseUser) -> None:
    records.mark(user, DatabaseStatus.READY)
    DatabaseUser.objects.filter(pk=user.pk).update(password="")
