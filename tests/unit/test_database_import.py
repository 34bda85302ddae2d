"""The panel's list of databases and users matches what the server lists (import and forget)."""

from __future__ import annotations

from brokeforge.databases.models import Database, DatabaseUser
from brokeforge.lib.enums import DatabaseEngine, DatabaseStatus
from brokeforge.packages.services.databases.records import import_inventory
from brokeforge.servers.models import Server

MARIADB, POSTGRESQL = DatabaseEngine.MARIADB, DatabaseEngine.POSTGRESQL


def test_what_the_server_has_is_imported_without_its_system_databases_and_accounts(server: Server) -> None:
    import_inventory(
        server,
        MARIADB,
        {
            "databases": [
                {"name": "mysql", "charset": "utf8mb4", "collation": "x"},
                {"name": "information_schema", "charset": "utf8", "collation": "x"},
                {"name": "legacy", "charset": "latin1", "collation": "latin1_swedish_ci"},
            ],
            "users": [
                {"name": "root", "host": "localhost"},
                {"name": "mariadb.sys", "host": "localhost"},
                {"name": "", "host": "localhost"},
                {"name": "legacy_app", "host": "%"},
            ],
        },
    )
    (database,) = Database.objects.filter(server=server)
    assert (database.name, database.charset, database.imported, database.status) == (
        "legacy",
        "latin1",
        True,
        DatabaseStatus.READY,
    )
    assert list(DatabaseUser.objects.values_list("name", "host", "imported")) == [("legacy_app", "%", True)]


def test_an_empty_engine_lists_nothing(server: Server) -> None:
    import_inventory(server, POSTGRESQL, {"databases": None, "users": None})
    import_inventory(server, POSTGRESQL, None)
    assert not Database.objects.exists() and not DatabaseUser.objects.exists()


def test_ready_rows_the_server_no_longer_has_are_forgotten_and_busy_ones_kept(server: Server) -> None:
    Database.objects.create(server=server, engine=MARIADB, name="gone", status=DatabaseStatus.READY)
    Database.objects.create(server=server, engine=MARIADB, name="being_made", status=DatabaseStatus.APPLYING)
    Database.objects.create(server=server, engine=POSTGRESQL, name="gone", status=DatabaseStatus.READY)
    import_inventory(server, MARIADB, {"databases": [], "users": []})
    assert sorted(Database.objects.values_list("engine", "name")) == [
        ("mariadb", "being_made"),
        ("postgresql", "gone"),
    ]


def test_a_postgresql_role_is_the_panels_user_of_that_name_whatever_its_host(server: Server) -> None:
    DatabaseUser.objects.create(
        server=server, engine=POSTGRESQL, name="app", host="10.0.0.0/24", status=DatabaseStatus.READY
    )
    import_inventory(server, POSTGRESQL, {"databases": [], "users": [{"name": "app", "host": "localhost"}]})
    assert list(DatabaseUser.objects.values_list("name", "host", "imported")) == [
        ("app", "10.0.0.0/24", False)
    ]


def test_a_mariadb_account_is_its_name_and_host(server: Server) -> None:
    DatabaseUser.objects.create(server=server, engine=MARIADB, name="app", host="localhost", status="ready")
    import_inventory(server, MARIADB, {"databases": [], "users": [{"name": "app", "host": "%"}]})
    assert list(DatabaseUser.objects.values_list("name", "host", "imported")) == [("app", "%", True)]


def test_a_second_import_changes_nothing(server: Server) -> None:
    inventory = {"databases": [{"name": "legacy", "charset": "latin1", "collation": "c"}], "users": []}
    import_inventory(server, MARIADB, inventory)
    import_inventory(server, MARIADB, inventory)
    assert Database.objects.count() == 1
