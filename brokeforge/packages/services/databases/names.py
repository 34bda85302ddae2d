"""What a database, a database user and a user's host may be called: checked before anything runs.

Names the panel creates are plain identifiers (letters, digits, underscores), so they read the same
in SQL, in a shell, in a connection URL and in an application's .env; they are still quoted
everywhere they go. Names found on a server (imported) may be anything the engine allows: they are
shown, granted on and dropped like the others, quoted the same way."""

from __future__ import annotations

import ipaddress
import re

from brokeforge.lib.enums import DatabaseEngine

_DATABASE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,47}$")
_USER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_CHARSET_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")

# The engine's own databases and accounts: never imported, never created, never dropped.
SYSTEM_DATABASES = {
    DatabaseEngine.MARIADB: frozenset({"information_schema", "performance_schema", "mysql", "sys"}),
    DatabaseEngine.POSTGRESQL: frozenset({"postgres", "template0", "template1"}),
}
SYSTEM_USERS = {
    DatabaseEngine.MARIADB: frozenset({"root", "mysql", "mariadb.sys", "debian-sys-maint", "public"}),
    DatabaseEngine.POSTGRESQL: frozenset({"postgres", "public"}),
}
LOCALHOST = "localhost"
ANY_HOST = "%"


def is_system_database(engine: DatabaseEngine, name: str) -> bool:
    return name.lower() in SYSTEM_DATABASES[engine]


def is_system_user(engine: DatabaseEngine, name: str) -> bool:
    # PostgreSQL reserves the pg_ prefix for its own roles.
    return name.lower() in SYSTEM_USERS[engine] or (
        engine == DatabaseEngine.POSTGRESQL and name.startswith("pg_")
    )


def database_name(engine: DatabaseEngine, name: str) -> str:
    if not _DATABASE_RE.fullmatch(name):  # fullmatch: `$` alone lets a trailing newline in
        raise ValueError(
            f"Invalid database name {name!r}: up to 48 letters, digits and underscores, "
            "not starting with a digit."
        )
    if is_system_database(engine, name):
        raise ValueError(f"{name!r} is one of {engine.label}'s own databases.")
    return name


def user_name(engine: DatabaseEngine, name: str) -> str:
    if not _USER_RE.fullmatch(name):
        raise ValueError(
            f"Invalid user name {name!r}: up to 32 letters, digits and underscores, "
            "not starting with a digit."
        )
    if is_system_user(engine, name):
        raise ValueError(f"{name!r} is one of {engine.label}'s own accounts.")
    return name


def user_host(host: str) -> str:
    """Where a user connects from: "localhost" (this server only), "%" (anywhere the firewall and
    the engine's bind address let through), an IP address, or a network in CIDR notation."""
    value = host.strip()
    if value in (LOCALHOST, ANY_HOST):
        return value
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"Invalid host {host!r}: use localhost, %, an IP address or a network such as 10.0.0.0/24."
        ) from None
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def charset(value: str, offered: list[str], what: str = "character set") -> str:
    """A character set or collation the server said it has (read at install)."""
    if not _CHARSET_RE.fullmatch(value):
        raise ValueError(f"Invalid {what} {value!r}.")
    if offered and value not in offered:
        raise ValueError(f"This server does not offer the {what} {value!r}.")
    return value


def mysql_host(host: str) -> str:
    """The host part of a MariaDB account: MariaDB takes a network as address/netmask, not CIDR,
    and IPv4 only."""
    if "/" not in host:
        return host
    network = ipaddress.ip_network(host)
    if network.version != 4:
        raise ValueError(f"MariaDB accounts take IPv6 addresses one at a time, not a network ({host}).")
    return f"{network.network_address}/{network.netmask}"
