"""Names, hosts and character sets are checked before anything reaches a server."""

from __future__ import annotations

import pytest

from brokeforge.lib.enums import DatabaseEngine
from brokeforge.packages.services.databases import names

MARIADB, POSTGRESQL = DatabaseEngine.MARIADB, DatabaseEngine.POSTGRESQL


@pytest.mark.parametrize("name", ["shop", "Shop_2026", "_tmp", "a" * 48])
def test_plain_database_names_are_accepted(name: str) -> None:
    assert names.database_name(MARIADB, name) == name


@pytest.mark.parametrize(
    "name", ["", "2shop", "shop-db", "shop db", "shop;drop", "shop\n", "a" * 49, "ünï", "`x`", "x'y"]
)
def test_other_database_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="Invalid database name"):
        names.database_name(MARIADB, name)


@pytest.mark.parametrize(
    ("engine", "name"),
    [
        (MARIADB, "mysql"),
        (MARIADB, "information_schema"),
        (POSTGRESQL, "template1"),
        (POSTGRESQL, "Postgres"),
    ],
)
def test_the_engines_own_databases_are_refused(engine: DatabaseEngine, name: str) -> None:
    with pytest.raises(ValueError, match="own databases"):
        names.database_name(engine, name)


@pytest.mark.parametrize(
    ("engine", "name"), [(MARIADB, "root"), (POSTGRESQL, "postgres"), (POSTGRESQL, "pg_monitor")]
)
def test_the_engines_own_accounts_are_refused(engine: DatabaseEngine, name: str) -> None:
    with pytest.raises(ValueError, match="own accounts"):
        names.user_name(engine, name)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("localhost", "localhost"),
        ("%", "%"),
        (" 10.0.0.7 ", "10.0.0.7"),
        ("10.0.0.7/32", "10.0.0.7"),
        ("10.0.0.9/24", "10.0.0.0/24"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_hosts_are_kept_in_one_form(given: str, kept: str) -> None:
    assert names.user_host(given) == kept


@pytest.mark.parametrize("host", ["example.com", "10.0.0.0/33", "'%'", "localhost; DROP", ""])
def test_other_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="Invalid host"):
        names.user_host(host)


def test_mariadb_takes_a_network_as_address_and_netmask() -> None:
    assert names.mysql_host("10.1.0.0/16") == "10.1.0.0/255.255.0.0"
    assert names.mysql_host("localhost") == "localhost"
    with pytest.raises(ValueError, match="IPv6"):
        names.mysql_host("2001:db8::/64")


def test_a_character_set_the_server_did_not_offer_is_refused() -> None:
    assert names.charset("utf8mb4", ["latin1", "utf8mb4"]) == "utf8mb4"
    with pytest.raises(ValueError, match="does not offer"):
        names.charset("utf16", ["latin1", "utf8mb4"])
    with pytest.raises(ValueError, match="Invalid collation"):
        names.charset("utf8mb4'; --", ["utf8mb4"], "collation")
