"""A server's database engines from its databases page: installing queues a job (once), importing
again queues one, removing is confirmed on a page that says the data directory stays, advises a
backup, and, while the engine holds databases, needs the server's name typed (the action's refusal
shown in the form, nothing queued)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job
from brokeforge.servers.models import Server, ServerPackage
from tests.web.test_databases import install, make_database, nothing_changed, page_of, url


@pytest.fixture
def mariadb(server: Server) -> ServerPackage:
    return install(server)


def test_install_queues_a_job(user_client: Client, server: Server) -> None:
    response = user_client.post(url("server_database_engine_install", server, "postgresql"))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.kind.endswith("DatabaseEngineInstallerJob") and job.arguments == ["postgresql"]
    assert job.server == server and job.label == "Install PostgreSQL on web-1"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Installing PostgreSQL on web-1 (job #{job.pk})."
    ]


def test_installing_an_installed_engine_is_refused(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    response = user_client.post(url("server_database_engine_install", server, "mariadb"), follow=True)
    assert "MariaDB is already installed on web-1." in response.content.decode()
    nothing_changed()


def test_a_failed_engine_can_be_installed_again(user_client: Client, server: Server) -> None:
    install(server, "mariadb", "failed")
    assert "Install again" in page_of(user_client, server)
    user_client.post(url("server_database_engine_install", server, "mariadb"))
    assert Job.objects.get().arguments == ["mariadb"]


def test_import_again_queues_a_sync(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    response = user_client.post(url("server_database_engine_sync", server, "mariadb"))
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.kind.endswith("DatabaseSyncJob") and job.arguments == ["mariadb"]


def test_importing_from_an_engine_not_installed_is_refused(user_client: Client, server: Server) -> None:
    response = user_client.post(url("server_database_engine_sync", server, "postgresql"), follow=True)
    assert "PostgreSQL is not installed on web-1: install it first." in response.content.decode()
    nothing_changed()


def test_the_remove_page_says_the_data_stays_and_advises_a_backup(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server)
    page = user_client.get(url("server_database_engine_remove", server, "mariadb")).content.decode()
    assert "<code>/var/lib/mysql</code>) <strong>stays on the server</strong>" in page
    assert 'id="remove-engine-held"' in page and "It holds 1 database." in page
    assert "Back them up first" in page and 'name="confirm"' in page
    nothing_changed()


def test_removing_an_engine_without_databases_needs_no_name(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    page = user_client.get(url("server_database_engine_remove", server, "mariadb")).content.decode()
    assert 'name="confirm"' not in page and "Take a backup first" in page
    response = user_client.post(url("server_database_engine_remove", server, "mariadb"))
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.kind.endswith("DatabaseEngineRemoverJob") and job.arguments == ["mariadb", False]


def test_removing_an_engine_with_databases_is_refused_without_the_servers_name(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server)
    for typed in ({}, {"confirm": ""}, {"confirm": "web-2"}, {"confirm": "WEB-1"}):
        response = user_client.post(url("server_database_engine_remove", server, "mariadb"), typed)
        page = response.content.decode()
        assert response.status_code == 400, typed
        assert "MariaDB on web-1 holds 1 database(s). Back them up first" in page, typed
        assert "confirm with the server&#x27;s name (web-1)" in page
    nothing_changed()


def test_removing_an_engine_with_databases_goes_on_with_the_servers_name(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server)
    response = user_client.post(url("server_database_engine_remove", server, "mariadb"), {"confirm": "web-1"})
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.kind.endswith("DatabaseEngineRemoverJob") and job.arguments == ["mariadb", True]


def test_an_engine_not_installed_has_nothing_to_remove(user_client: Client, server: Server) -> None:
    response = user_client.get(url("server_database_engine_remove", server, "postgresql"), follow=True)
    assert "PostgreSQL is not installed on web-1." in response.content.decode()
    response = user_client.post(url("server_database_engine_remove", server, "postgresql"), follow=True)
    assert "PostgreSQL is not installed on web-1." in response.content.decode()
    nothing_changed()
