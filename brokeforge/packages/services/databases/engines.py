"""MariaDB and PostgreSQL as the packages see them: their Debian packages, their service, how the
panel reaches their admin account, and the SQL scripts (templates/databases/<engine>/) it sends.

The admin account is reached through the OS, never with a password: MariaDB's root through its
unix socket as root, PostgreSQL's postgres role by peer authentication as the postgres user. Every
script travels on the client's standard input, so nothing of it (a password's hash, a name) is
ever on a command line, where every user of the server sees it in `ps`."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from brokeforge.lib.db_passwords import mysql_native_password, scram_sha_256
from brokeforge.lib.enums import DatabaseEngine
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command
from brokeforge.packages.base.shell import ConfigCheck, restart_service
from brokeforge.packages.services.databases.names import mysql_host


@dataclass(frozen=True)
class Engine(ABC):
    engine: DatabaseEngine
    # What apt installs, what it removes (the data directory stays), the service to start.
    packages: tuple[str, ...]
    service: str
    data_directory: str

    @property
    def label(self) -> str:
        return str(self.engine.label)

    def sql(self, script: str, **context: Any) -> str:
        return render(f"databases/{self.engine.value}/{script}.sql.j2", **context)

    def run(self, script: str, *, reads_output: bool = False, **context: Any) -> Command:
        """A command that runs one of the engine's SQL scripts as its admin account."""
        return Command(self.client, stdin=self.sql(script, **context), reads_output=reads_output, cwd="/")

    @property
    @abstractmethod
    def client(self) -> str:
        """The admin client's command line: it reads SQL on stdin and stops at the first error."""

    @abstractmethod
    def network_file(self, configuration: dict[str, Any]) -> str:
        """The drop-in file that says where it listens (`configuration`: its inventory row's)."""

    @abstractmethod
    def network_config(self, remote: bool) -> str:
        """That file's content: listening on every address, or on this server only."""

    def network_check(self) -> ConfigCheck:
        """A database server has no offline check of its configuration: it is restarted and
        asked a question; if it does not answer, it is started again with the previous file."""
        restart = restart_service(self.service)
        return ConfigCheck(f"{restart} && {self.wait_ready().script}", "true", restart)

    def account(self, name: str, host: str) -> dict[str, str]:
        """A user as the SQL scripts name it."""
        return {"name": name, "host": host}

    @abstractmethod
    def password_hash(self, password: str) -> str:
        """What the engine stores for a password, computed here: the server never sees the password."""

    # The dpkg pattern of the engine's server packages (what removing it takes away).
    server_packages: str
    # The TCP port it listens on for remote clients.
    port: int

    def installed_packages(self) -> str:
        """A shell line printing the engine's installed server packages, one per line."""
        return (
            f"dpkg-query -W -f='${{db:Status-Abbrev}} ${{Package}}\\n' '{self.server_packages}' 2>/dev/null "
            "| awk '$1 == \"ii\" { print $2 }'"
        )

    def wait_ready(self, seconds: int = 30) -> Command:
        """Fail, saying so, unless the admin client gets an answer within `seconds` (the service
        can be active a moment before it accepts connections)."""
        script = (
            f"for i in $(seq 1 {seconds * 2}); do "
            f"if echo 'SELECT 1;' | {self.client} >/dev/null 2>&1; then "
            f"echo {self.label} answers; exit 0; fi; "
            f"sleep 0.5; done; echo {self.label} does not answer after {seconds}s >&2; exit 1"
        )
        return Command(script, cwd="/")


def read_json(output: str) -> Any:
    """The one JSON value an inventory or catalog script prints (NULL when a list is empty)."""
    text = output.strip()
    return None if text in ("", "NULL") else json.loads(text)


@dataclass(frozen=True)
class MariaDb(Engine):
    @property
    def client(self) -> str:
        # --raw: values printed as they are (no escaping), so the JSON reads back intact.
        return "mariadb --batch --raw --skip-column-names"

    def password_hash(self, password: str) -> str:
        return mysql_native_password(password)

    def account(self, name: str, host: str) -> dict[str, str]:
        return {"name": name, "host": mysql_host(host)}

    def network_file(self, configuration: dict[str, Any]) -> str:
        # Read after Debian's 50-server.cnf, whose bind-address it overrides.
        return "/etc/mysql/mariadb.conf.d/90-brokeforge-network.cnf"

    def network_config(self, remote: bool) -> str:
        return render("databases/mariadb/network.cnf.j2", bind="0.0.0.0" if remote else "127.0.0.1")  # noqa: S104 - asked for


@dataclass(frozen=True)
class PostgreSql(Engine):
    @property
    def client(self) -> str:
        # -X: no ~/.psqlrc; -At: bare values; ON_ERROR_STOP: the first error fails the command.
        return "runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d postgres"

    def password_hash(self, password: str) -> str:
        return scram_sha_256(password)

    def network_file(self, configuration: dict[str, Any]) -> str:
        # Debian's postgresql.conf reads conf.d/ last, so this overrides its listen_addresses.
        config_file = configuration.get("config_file") or ""
        if not config_file.startswith("/etc/postgresql/"):
            raise ValueError(
                "PostgreSQL's configuration file is not known: import its databases again first."
            )
        return str(PurePosixPath(config_file).parent / "conf.d" / "90-brokeforge-network.conf")

    def network_config(self, remote: bool) -> str:
        return render("databases/postgresql/network.conf.j2", listen="*" if remote else "localhost")


ENGINES: dict[DatabaseEngine, Engine] = {
    DatabaseEngine.MARIADB: MariaDb(
        DatabaseEngine.MARIADB,
        ("mariadb-server", "mariadb-client"),
        "mariadb",
        "/var/lib/mysql",
        "mariadb-server*",
        3306,
    ),
    DatabaseEngine.POSTGRESQL: PostgreSql(
        DatabaseEngine.POSTGRESQL,
        ("postgresql", "postgresql-client"),
        "postgresql",
        "/var/lib/postgresql",
        "postgresql-[0-9]*",
        5432,
    ),
}


def engine(name: str | DatabaseEngine) -> Engine:
    return ENGINES[DatabaseEngine.parse(str(name))]
