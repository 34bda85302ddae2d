"""A server's databases page: signed-in owners only (another user's server, database or database
user is not found; forms need their CSRF token); the engines with what the server reported; text
from the server (imported names, a job's error) shown as text; the status part polls while a job
works on an engine, a database or a user, and stops once none does.

The helpers and fixtures here are shared by the other test_databases_*.py files. Jobs are only
queued (no server): an engine is "installed" by writing its inventory row as the installer does."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.databases.models import Database, DatabaseGrant, DatabaseUser
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import DatabaseStatus, PackageName, PackageStatus, PackageType
from brokeforge.servers.models import Server, ServerPackage
from tests.web.test_content_security_policy import InlineCode

HOSTILE_NAME = "<script>alert(1)</script>"

CATALOGS: dict[str, dict[str, Any]] = {
    "mariadb": {
        "charsets": ["latin1", "utf8mb3", "utf8mb4"],
        "collations": [
            ["latin1_swedish_ci", "latin1"],
            ["utf8mb4_bin", "utf8mb4"],
            ["utf8mb4_general_ci", "utf8mb4"],
            ["utf8mb4_unicode_ci", "utf8mb4"],
        ],
        "default_charset": "utf8mb4",
        "default_collation": "utf8mb4_general_ci",
        "data_directory": "/var/lib/mysql",
    },
    "postgresql": {
        "charsets": ["LATIN1", "UTF8"],
        "collations": [["C", ""], ["C.UTF-8", "UTF8"], ["en_US.utf8", "UTF8"]],
        "default_charset": "UTF8",
        "default_collation": "C.UTF-8",
        "data_directory": "/var/lib/postgresql",
    },
}
VERSIONS = {"mariadb": "10.11.6-MariaDB-0+deb12u1", "postgresql": "15.8 (Debian 15.8-0+deb12u1)"}


def install(server: Server, engine: str = "mariadb", status: str = PackageStatus.INSTALLED) -> ServerPackage:
    """The engine's inventory row, as the installer's record_catalog writes it."""
    return ServerPackage.objects.create(
        server=server,
        package_type=PackageType.DATABASE,
        package_name=PackageName.DATABASE_ENGINE,
        instance=engine,
        package_version=VERSIONS[engine],
        configuration=CATALOGS[engine],
        status=status,
    )


def make_database(
    server: Server,
    name: str = "shop",
    engine: str = "mariadb",
    status: str = DatabaseStatus.READY,
    **fields: Any,
) -> Database:
    defaults: dict[str, Any] = {"charset": "utf8mb4", "collation": "utf8mb4_unicode_ci"}
    return Database.objects.create(
        server=server, engine=engine, name=name, status=status, **(defaults | fields)
    )


def make_user(
    server: Server,
    name: str = "app",
    engine: str = "mariadb",
    status: str = DatabaseStatus.READY,
    **fields: Any,
) -> DatabaseUser:
    return DatabaseUser.objects.create(server=server, engine=engine, name=name, status=status, **fields)


def url(name: str, server: Server, *args: Any) -> str:
    return reverse(name, args=[server.pk, *args])


def page_of(client: Client, server: Server) -> str:
    response = client.get(url("server_databases", server))
    assert response.status_code == 200
    return response.content.decode()


def nothing_changed() -> None:
    assert not Job.objects.exists()


@pytest.fixture
def mariadb(server: Server) -> ServerPackage:
    return install(server)


@pytest.fixture
def strict_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


# -- the page -----------------------------------------------------------------------------------


def test_the_server_page_links_its_databases(user_client: Client, server: Server) -> None:
    page = user_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    assert f'href="{url("server_databases", server)}"' in page


def test_the_page_shows_each_engine_with_the_version_the_server_reported(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    page = page_of(user_client, server)
    row = page.split('data-engine="mariadb"')[1].split("</tr>")[0]
    assert 'data-status="installed"' in row and "10.11.6-MariaDB-0+deb12u1" in row
    assert url("server_database_engine_sync", server, "mariadb") in row
    assert url("server_database_engine_remove", server, "mariadb") in row
    assert url("server_database_engine_install", server, "mariadb") not in row
    absent = page.split('data-engine="postgresql"')[1].split("</tr>")[0]
    assert 'data-status="absent"' in absent and "Not installed" in absent
    assert url("server_database_engine_install", server, "postgresql") in absent
    # Forms to create databases and users in the installed engine only.
    assert url("server_database_create", server, "mariadb") in page
    assert url("server_database_user_create", server, "mariadb") in page
    assert url("server_database_create", server, "postgresql") not in page


def test_without_an_engine_the_page_says_to_install_one(user_client: Client, server: Server) -> None:
    page = page_of(user_client, server)
    assert 'id="no-engine"' in page and 'id="no-databases"' in page and 'id="no-database-users"' in page


def test_databases_and_users_are_listed_with_their_grants(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    shop = make_database(server, "shop")
    make_database(server, "legacy", imported=True, charset="latin1", collation="latin1_swedish_ci")
    account = make_user(server, "app", host="10.0.0.0/255.255.255.0")
    DatabaseGrant.objects.create(user=account, database=shop, access="rw")
    page = page_of(user_client, server)
    legacy = page.split('data-status="ready">')[1]  # ordered by engine and name: legacy first
    assert "legacy" in legacy.split("</tr>")[0] and "imported" in legacy.split("</tr>")[0]
    assert "latin1_swedish_ci" in page and "utf8mb4_unicode_ci" in page
    row = page.split(f'data-user-id="{account.pk}"')[1].split("</tr>")[0]
    assert "app@10.0.0.0/255.255.255.0" in row and "shop: read-write" in row
    assert url("server_database_user", server, account.pk) in row


def test_the_pages_have_nothing_the_policy_blocks(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, status=DatabaseStatus.QUEUED)
    account = make_user(server)
    for address in (
        url("server_databases", server),
        url("server_databases_live", server),
        url("server_database_engine_remove", server, "mariadb"),
        url("server_database_drop", server, database.pk),
        url("server_database_user", server, account.pk),
        url("server_database_user_delete", server, account.pk),
    ):
        response = user_client.get(address)
        assert response.status_code == 200, address
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.found == [], address


# -- text from the server -----------------------------------------------------------------------


def test_a_hostile_imported_database_name_is_shown_as_text(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, HOSTILE_NAME, imported=True)
    account = make_user(server, "app")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for address in (
        url("server_databases", server),
        url("server_database_drop", server, database.pk),
        url("server_database_user", server, account.pk),
    ):
        page = user_client.get(address).content.decode()
        assert escaped in page, address
        assert HOSTILE_NAME not in page, address


def test_a_hostile_imported_user_and_a_failed_jobs_error_are_shown_as_text(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server, "shop", status=DatabaseStatus.FAILED, error="ERROR 1007: <b>can't</b> create")
    make_user(server, "x", host="<img src=x>", imported=True)
    page = page_of(user_client, server)
    assert "ERROR 1007: &lt;b&gt;can&#x27;t&lt;/b&gt; create" in page
    assert "x@&lt;img src=x&gt;" in page
    assert "<b>can't</b>" not in page and "<img src=x>" not in page


# -- live progress ------------------------------------------------------------------------------


def test_the_status_polls_while_a_database_is_busy_and_stops_when_idle(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    live = url("server_databases_live", server)
    database = make_database(server, status=DatabaseStatus.APPLYING, job_id=None)
    assert f'hx-get="{live}"' in page_of(user_client, server)
    assert 'hx-trigger="every 2s"' in user_client.get(live).content.decode()
    Database.objects.filter(pk=database.pk).update(status=DatabaseStatus.READY)
    assert "hx-trigger" not in user_client.get(live).content.decode()
    assert "hx-trigger" not in page_of(user_client, server)


def test_the_status_polls_while_a_user_is_busy(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    account = make_user(server, status=DatabaseStatus.DROPPING)
    assert "hx-trigger" in user_client.get(url("server_databases_live", server)).content.decode()
    DatabaseUser.objects.filter(pk=account.pk).update(status=DatabaseStatus.FAILED)
    assert "hx-trigger" not in user_client.get(url("server_databases_live", server)).content.decode()


def test_the_status_polls_while_an_engine_installs(user_client: Client, server: Server) -> None:
    row = install(server, "postgresql", PackageStatus.INSTALLING)
    live = user_client.get(url("server_databases_live", server)).content.decode()
    assert "hx-trigger" in live
    # No Install button while it installs.
    assert url("server_database_engine_install", server, "postgresql") not in live
    ServerPackage.objects.filter(pk=row.pk).update(status=PackageStatus.INSTALLED)
    assert "hx-trigger" not in user_client.get(url("server_databases_live", server)).content.decode()


def test_a_queued_engine_job_polls_and_is_linked(user_client: Client, server: Server) -> None:
    response = user_client.post(url("server_database_engine_install", server, "postgresql"))
    job = Job.objects.get()
    live = user_client.get(url("server_databases_live", server)).content.decode()
    row = live.split('data-engine="postgresql"')[1].split("</tr>")[0]
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert "hx-trigger" in live and f'href="{reverse("job_detail", args=[job.pk])}"' in row
    assert url("server_database_engine_install", server, "postgresql") not in row  # not twice
    Job.objects.filter(pk=job.pk).update(status="succeeded")
    assert "hx-trigger" not in user_client.get(url("server_databases_live", server)).content.decode()


def test_each_row_links_to_its_job(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    database = make_database(server, status=DatabaseStatus.QUEUED, job_id=4242)
    account = make_user(server, status=DatabaseStatus.FAILED, job_id=4343, error="boom")
    page = page_of(user_client, server)
    database_row = page.split(f'data-database-id="{database.pk}"')[1].split("</tr>")[0]
    user_row = page.split(f'data-user-id="{account.pk}"')[1].split("</tr>")[0]
    assert reverse("job_detail", args=[4242]) in database_row
    assert reverse("job_detail", args=[4343]) in user_row
    # No drop or delete while a job works on it.
    assert url("server_database_drop", server, database.pk) not in database_row
    assert url("server_database_user_delete", server, account.pk) in user_row


# -- who may see and do what --------------------------------------------------------------------


def _pages(server: Server, database: Database, account: DatabaseUser) -> list[str]:
    return [
        url("server_databases", server),
        url("server_databases_live", server),
        url("server_database_engine_remove", server, "mariadb"),
        url("server_database_drop", server, database.pk),
        url("server_database_user", server, account.pk),
        url("server_database_user_delete", server, account.pk),
    ]


def _actions(server: Server, database: Database, account: DatabaseUser) -> list[str]:
    return [
        url("server_database_engine_install", server, "postgresql"),
        url("server_database_engine_sync", server, "mariadb"),
        url("server_database_engine_remove", server, "mariadb"),
        url("server_database_create", server, "mariadb"),
        url("server_database_drop", server, database.pk),
        url("server_database_user_create", server, "mariadb"),
        url("server_database_user_password", server, account.pk),
        url("server_database_user_grant", server, account.pk),
        url("server_database_user_revoke", server, account.pk),
        url("server_database_user_delete", server, account.pk),
    ]


SENT = {
    "name": "shop2",
    "host": "localhost",
    "password_source": "type",
    "password": "s3cret!",
    "database": "shop",
    "access": "rw",
    "confirm": "theirs",
}


def test_anonymous_is_sent_to_sign_in(client: Client, server: Server) -> None:
    install(server)
    database, account = make_database(server), make_user(server)
    for address in _pages(server, database, account):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), address
    for address in _actions(server, database, account):
        response = client.post(address, SENT | {"confirm": "web-1"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), address
    nothing_changed()
    assert Database.objects.get().status == DatabaseStatus.READY and DatabaseUser.objects.count() == 1


def test_another_users_server_is_not_found(user_client: Client, server: Server, other_server: Server) -> None:
    install(other_server)
    database, account = make_database(other_server), make_user(other_server)
    for address in _pages(other_server, database, account):
        assert user_client.get(address).status_code == 404, address
    for address in _actions(other_server, database, account):
        assert user_client.post(address, SENT).status_code == 404, address
    nothing_changed()
    assert Database.objects.get().status == DatabaseStatus.READY and DatabaseUser.objects.count() == 1


def test_another_servers_database_and_user_are_not_found_through_mine(
    user_client: Client, server: Server, other_server: Server
) -> None:
    install(server)
    install(other_server)
    database, account = make_database(other_server), make_user(other_server)
    for address in (
        url("server_database_drop", server, database.pk),
        url("server_database_user", server, account.pk),
        url("server_database_user_delete", server, account.pk),
    ):
        assert user_client.get(address).status_code == 404, address
    for address in _actions(server, database, account)[4:]:
        if "/new/" not in address:
            assert user_client.post(address, SENT).status_code == 404, address
    nothing_changed()


def test_an_engine_the_panel_does_not_offer_is_not_found(user_client: Client, server: Server) -> None:
    assert user_client.post(url("server_database_engine_install", server, "mongodb")).status_code == 404
    assert user_client.post(url("server_database_create", server, "mongodb"), SENT).status_code == 404
    nothing_changed()


def test_actions_are_post_only(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    account = make_user(server)
    for address in (
        url("server_database_engine_install", server, "postgresql"),
        url("server_database_engine_sync", server, "mariadb"),
        url("server_database_create", server, "mariadb"),
        url("server_database_user_create", server, "mariadb"),
        url("server_database_user_password", server, account.pk),
        url("server_database_user_grant", server, account.pk),
        url("server_database_user_revoke", server, account.pk),
    ):
        assert user_client.get(address).status_code == 405, address
    nothing_changed()


def test_forms_need_their_csrf_token(strict_client: Client, server: Server, mariadb: ServerPackage) -> None:
    database, account = make_database(server), make_user(server)
    page = strict_client.get(url("server_databases", server)).content.decode()
    # Import again, install PostgreSQL, create a database, create a user, and sign out.
    assert page.count('name="csrfmiddlewaretoken"') == 5
    for address in _actions(server, database, account):
        assert strict_client.post(address, SENT | {"confirm": "web-1"}).status_code == 403, address
    nothing_changed()
    assert Database.objects.count() == 1 and DatabaseUser.objects.count() == 1
    token = strict_client.cookies["csrftoken"].value
    response = strict_client.post(
        url("server_database_engine_sync", server, "mariadb"), HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302 and Job.objects.get().kind.endswith("DatabaseSyncJob")
