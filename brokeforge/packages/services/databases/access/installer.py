"""Remote access to a database server: where it listens (a drop-in file, applied by a restart
that must answer, the previous file back otherwise), which remote logins PostgreSQL accepts
(pg_hba.conf), and the firewall opened on its port to the allowed sources only, each rule its
own record (the firewall page lists them). No sources: listening on this server only again,
the rules closed."""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable
from typing import Any

from brokeforge.databases.models import DatabaseUser
from brokeforge.lib.enums import DatabaseEngine, PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, PackageManager, ServerPackage, Step
from brokeforge.packages.base.shell import apply_config
from brokeforge.packages.services.databases.access.milestones import DatabaseAccessInstallerMilestones as M
from brokeforge.packages.services.databases.engines import Engine, PostgreSql, engine
from brokeforge.packages.services.firewall.installer import FirewallRuleInstaller
from brokeforge.packages.services.firewall.remover import FirewallRuleRemover
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.servers.models import Server

HBA_BEGIN = "# BEGIN BrokeForge remote logins (managed from the panel: edits here are replaced)"
HBA_END = "# END BrokeForge remote logins"


class DatabaseAccessInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_ACCESS

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, engine_name: str, sources: list[str]) -> None:
        chosen = engine(engine_name)
        row = engine_row(self, chosen)
        before = set(row.configuration.get("remote_access", {}).get("sources", []))
        users = DatabaseUser.objects.filter(server=self.server, engine=chosen.engine)
        logins = sorted((user.name, user.host) for user in users if not user.is_local)
        self.install(self.commands(chosen, row.configuration, sources, sorted(before), logins))

    def commands(
        self,
        chosen: Engine,
        configuration: dict[str, Any],
        sources: list[str],
        before: list[str],
        logins: list[tuple[str, str]],
    ) -> list[Step]:
        """`sources`: where clients may connect from now (none: this server only); `before`: the
        sources opened until now; `logins`: the engine's remote users (name, host)."""
        remote = bool(sources)
        opened = [source for source in sources if source not in before]
        closed = [source for source in before if source not in sources]
        postgresql = chosen.engine == DatabaseEngine.POSTGRESQL
        return [
            self.track(M.LISTEN),
            apply_config(
                chosen.network_file(configuration), chosen.network_config(remote), chosen.network_check()
            ),
            self.track(M.LOGINS),
            *([hba_update(chosen, configuration, logins if remote else [])] if postgresql else []),
            self.panel("Record the remote access setting", lambda: self._record(chosen, sources)),
            self.track(M.FIREWALL),
            # Each rule its own record and its own steps, by the firewall's own installer and remover.
            *(
                self.panel(f"Allow {chosen.label} from {source}", self._opener(chosen, source))
                for source in opened
            ),
            *(
                self.panel(f"Stop allowing {chosen.label} from {source}", self._closer(chosen, source))
                for source in closed
            ),
            self.track(M.COMPLETE),
        ]

    def _opener(self, chosen: Engine, source: str) -> Callable[[], None]:
        return lambda: FirewallRuleInstaller(self.server).execute(firewall_rule(chosen, source))

    def _closer(self, chosen: Engine, source: str) -> Callable[[], None]:
        return lambda: FirewallRuleRemover(self.server).execute(firewall_rule(chosen, source))

    def _record(self, chosen: Engine, sources: list[str]) -> None:
        row = engine_row(self, chosen)
        row.configuration = {**row.configuration, "remote_access": {"sources": sources}}
        row.save(update_fields=["configuration", "updated_at"])


def logins_refresh(server: Server, chosen: Engine, without: DatabaseUser | None = None) -> list[Step]:
    """The steps that bring PostgreSQL's remote logins up to date after a user changed: none
    unless remote access is on (MariaDB's accounts carry their own host)."""
    row = server.packages.filter(
        package_type=PackageType.DATABASE,
        package_name=PackageName.DATABASE_ENGINE,
        instance=chosen.engine.value,
    ).first()
    if chosen.engine != DatabaseEngine.POSTGRESQL or row is None:
        return []
    if not row.configuration.get("remote_access", {}).get("sources"):
        return []
    users = DatabaseUser.objects.filter(server=server, engine=chosen.engine).exclude(host="localhost")
    if without is not None:
        users = users.exclude(pk=without.pk)
    return [hba_update(chosen, row.configuration, sorted((user.name, user.host) for user in users))]


def engine_row(manager: PackageManager, chosen: Engine) -> Any:
    return manager.server.packages.get(
        package_type=PackageType.DATABASE,
        package_name=PackageName.DATABASE_ENGINE,
        instance=chosen.engine.value,
    )


def firewall_rule(chosen: Engine, source: str) -> FirewallRule:
    return FirewallRule.validated(chosen.port, f"{chosen.label} remote access", "allow", "tcp", source)


def hba_lines(logins: list[tuple[str, str]]) -> list[str]:
    """pg_hba.conf lines letting each remote user (name, host) log in from its host only, with a
    password (SCRAM). "%" (anywhere) is every IPv4 and IPv6 address."""
    lines = []
    for name, host in logins:
        networks = ["0.0.0.0/0", "::/0"] if host == "%" else [str(ipaddress.ip_network(host, strict=False))]
        lines += [f"host all {hba_user(name)} {network} scram-sha-256" for network in networks]
    return lines


def hba_user(name: str) -> str:
    # pg_hba.conf takes a quoted name literally; a quote or a line break in it cannot be written.
    if any(char in name for char in '"\n\r'):
        raise ValueError(f"The PostgreSQL user {name!r} cannot be named in pg_hba.conf.")
    return f'"{name}"'


def hba_update(chosen: Engine, configuration: dict[str, Any], logins: list[tuple[str, str]]) -> Command:
    hba_file = configuration.get("hba_file") or ""
    if not isinstance(chosen, PostgreSql) or not hba_file.startswith("/etc/postgresql/"):
        raise ValueError("PostgreSQL's pg_hba.conf is not known: import its databases again first.")
    script = render(
        "databases/postgresql/hba.sh.j2",
        hba_file=hba_file,
        begin=HBA_BEGIN,
        end=HBA_END,
        client=chosen.client,
    )
    lines = hba_lines(logins)
    return Command(f"bash -c {shlex.quote(script)}", stdin="\n".join(lines) + "\n" if lines else "")
