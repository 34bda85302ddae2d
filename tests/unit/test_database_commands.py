"""What the database packages send to a server, from data (data/database*.json), and the
properties a user relies on whatever the data says: no password in anything sent."""

from __future__ import annotations

import pytest

from brokeforge.databases.models import DatabaseUser
from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, GRANT_MAP, HOSTILE_PASSWORD, MARIADB_USER, PG_USER, build

NAMES = [
    "database_engine",
    "database_engine_remover",
    "database_sync",
    "database",
    "database_remover",
    "database_user",
    "database_user_remover",
    "database_backup",
    "database_restore",
    "database_access",
]


@pytest.mark.parametrize(("name", "case"), [(name, case) for name in NAMES for case in CASES[name]])
def test_database_commands(unsaved_server: Server, name: str, case: str) -> None:
    assert describe(build(unsaved_server, name, case)) == expected(name)[case]


@pytest.mark.parametrize("name", ["database_user"])
def test_a_password_is_never_sent_only_its_hash(unsaved_server: Server, name: str) -> None:
    for case in CASES[name]:
        sent = "\n".join(describe(build(unsaved_server, name, case)))
        assert HOSTILE_PASSWORD not in sent
        for fragment in ("touch /tmp/owned", "ünï", "`id`"):
            assert fragment not in sent


@pytest.mark.parametrize("user", [MARIADB_USER, PG_USER], ids=["mariadb", "postgresql"])
def test_grants_are_taken_back_before_they_are_given(unsaved_server: Server, user: DatabaseUser) -> None:
    from brokeforge.packages.services.databases.user.installer import DatabaseUserInstaller

    (script,) = [
        step for step in describe(DatabaseUserInstaller(unsaved_server).commands(user, "", GRANT_MAP))
        if "<<stdin" in step
    ]  # fmt: skip
    first_grant = script.index("GRANT ", script.index("<<stdin"))
    taken_back = max(script.rfind("REVOKE ALL"), script.rfind("DROP OWNED"))
    assert 0 < taken_back < first_grant


def test_a_database_named_with_an_underscore_is_granted_on_exactly_that_name(unsaved_server: Server) -> None:
    # In MariaDB's GRANT `_` matches any character: stats_2026 would also grant on statsX2026.
    sent = "\n".join(
        describe(build(unsaved_server, "database_user", "mariadb, a hostile password, a network, grants"))
    )
    assert "ON `stats\\_2026`.*" in sent
    assert "ON `stats_2026`.*" not in sent
