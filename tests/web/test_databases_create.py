"""Creating and dropping databases from a server's databases page: the character sets and
collations offered are those the server reported; a bad name or one the server does not offer is
refused in the form and nothing is created; a drop needs the database's name typed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.databases.models import Database
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import DatabaseStatus
from brokeforge.servers.models import Server, ServerPackage
from tests.web.test_databases import HOSTILE_NAME, install, make_database, nothing_changed, page_of, url


@pytest.fixture
def mariadb(server: Server) -> ServerPackage:
    return install(server)


def test_the_form_offers_what_the_server_reported(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    install(server, "postgresql")
    page = page_of(user_client, server)
    mariadb_form = page.split('id="new-database-mariadb"')[1].split("</section>")[0]
    postgresql_form = page.split('id="new-database-postgresql"')[1].split("</section>")[0]
    assert '<select name="charset" id="id_mariadb_database_charset">' in mariadb_form
    for charset in ("latin1", "utf8mb3", "utf8mb4"):
        assert f'<option value="{charset}">{charset}</option>' in mariadb_form
    # Collations grouped by their character set.
    assert '<optgroup label="utf8mb4">' in mariadb_form
    assert '<option value="utf8mb4_unicode_ci">utf8mb4_unicode_ci</option>' in mariadb_form
    assert '<option value="UTF8">UTF8</option>' in postgresql_form and "utf8mb4" not in postgresql_form
    assert '<option value="en_US.utf8">en_US.utf8</option>' in postgresql_form


def test_creating_a_database_queues_its_job(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    sent = {"name": "shop", "charset": "utf8mb4", "collation": "utf8mb4_unicode_ci"}
    response = user_client.post(url("server_database_create", server, "mariadb"), sent)
    database = Database.objects.get()
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert (database.name, database.engine, database.charset, database.collation) == (
        "shop",
        "mariadb",
        "utf8mb4",
        "utf8mb4_unicode_ci",
    )
    assert database.status == DatabaseStatus.QUEUED and database.job_id == job.pk
    assert job.kind.endswith("DatabaseInstallerJob") and job.arguments == [database.pk]
    row = page_of(user_client, server).split(f'data-database-id="{database.pk}"')[1].split("</tr>")[0]
    assert "Queued" in row and reverse("job_detail", args=[job.pk]) in row


def test_the_engines_defaults_are_the_empty_choice(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    user_client.post(
        url("server_database_create", server, "mariadb"), {"name": "blog", "charset": "", "collation": ""}
    )
    database = Database.objects.get()
    assert (database.charset, database.collation) == ("", "")


def test_a_bad_name_shows_the_error_and_creates_nothing(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    response = user_client.post(
        url("server_database_create", server, "mariadb"), {"name": "shop; DROP", "charset": ""}
    )
    page = response.content.decode()
    assert response.status_code == 400
    form = page.split('id="new-database-mariadb"')[1].split("</section>")[0]
    assert "Invalid database name &#x27;shop; DROP&#x27;: up to 48 letters" in form
    assert not Database.objects.exists()
    nothing_changed()


def test_a_charset_the_server_did_not_report_is_refused(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    response = user_client.post(
        url("server_database_create", server, "mariadb"), {"name": "shop", "charset": "koi8r"}
    )
    assert response.status_code == 400
    assert "This server does not offer the character set &#x27;koi8r&#x27;." in response.content.decode()
    assert not Database.objects.exists()
    nothing_changed()


def test_a_database_of_that_name_already_there_is_refused(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server, "shop")
    response = user_client.post(url("server_database_create", server, "mariadb"), {"name": "shop"})
    assert response.status_code == 400
    assert "web-1 already has a MariaDB database called shop." in response.content.decode()
    assert Database.objects.count() == 1
    nothing_changed()


def test_an_engine_not_installed_is_refused(user_client: Client, server: Server) -> None:
    response = user_client.post(url("server_database_create", server, "postgresql"), {"name": "shop"})
    assert response.status_code == 400
    assert "PostgreSQL is not installed on web-1: install it first." in response.content.decode()
    assert not Database.objects.exists()
    nothing_changed()


def test_drop_asks_for_the_databases_name(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, "shop")
    page = user_client.get(url("server_database_drop", server, database.pk)).content.decode()
    assert "Type the database's name, <code>shop</code>, to confirm." in page
    assert 'name="confirm"' in page and "take a backup first" in page
    nothing_changed()


def test_drop_is_refused_without_the_typed_name(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, "shop")
    for typed in ({}, {"confirm": ""}, {"confirm": "Shop"}, {"confirm": "shop "}, {"confirm": "web-1"}):
        response = user_client.post(url("server_database_drop", server, database.pk), typed)
        assert response.status_code == 400, typed
        assert "Type the database&#x27;s name exactly as shown to drop it." in response.content.decode()
    database.refresh_from_db()
    assert database.status == DatabaseStatus.READY
    nothing_changed()


def test_drop_with_the_typed_name_queues_its_job(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, "shop")
    response = user_client.post(url("server_database_drop", server, database.pk), {"confirm": "shop"})
    job = Job.objects.get()
    database.refresh_from_db()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.kind.endswith("DatabaseRemoverJob") and job.arguments == [database.pk]
    assert database.status == DatabaseStatus.DROPPING and database.job_id == job.pk


def test_a_hostile_imported_database_is_dropped_by_its_exact_name(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, HOSTILE_NAME, imported=True)
    user_client.post(url("server_database_drop", server, database.pk), {"confirm": HOSTILE_NAME})
    assert Job.objects.get().arguments == [database.pk]


def test_a_database_a_job_works_on_is_not_dropped(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    database = make_database(server, "shop", status=DatabaseStatus.APPLYING)
    response = user_client.post(url("server_database_drop", server, database.pk), {"confirm": "shop"})
    assert (
        response.status_code == 400 and "is applying: wait for its job to end." in response.content.decode()
    )
    nothing_changed()
