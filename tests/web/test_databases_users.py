"""Database users from a server's databases page: a typed password is kept exactly as typed and never
comes back in a response, not even with an error; a generated one is shown once, in the response
that created it (not in a URL, a message, or any page after); the grants asked for are recorded;
on the user's page a new password, a grant or a revoke each queue the user's job; deleting is
confirmed."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from brokeforge.databases.models import DatabaseGrant, DatabaseUser
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import DatabaseStatus
from brokeforge.servers.models import Server, ServerPackage
from tests.web.test_databases import install, make_database, make_user, nothing_changed, page_of, url

HOSTILE_PASSWORD = "'\"\\ $(touch /tmp/owned) `ls` % & ünï"


@pytest.fixture
def mariadb(server: Server) -> ServerPackage:
    return install(server)


def typed(password: str = HOSTILE_PASSWORD, **more: str) -> dict[str, str]:
    return {"name": "app", "host": "localhost", "password_source": "type", "password": password, **more}


def assert_not_shown(page: str, password: str) -> None:
    for form in {password, html.escape(password), html.escape(password, quote=False), quote(password)}:
        assert form not in page


# -- creating -----------------------------------------------------------------------------------


def test_a_typed_hostile_password_is_kept_exactly_and_never_shown(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    response = user_client.post(url("server_database_user_create", server, "mariadb"), typed())
    account = DatabaseUser.objects.get()
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert account.password == HOSTILE_PASSWORD
    assert (account.name, account.host, account.status, account.job_id) == (
        "app",
        "localhost",
        "queued",
        job.pk,
    )
    assert job.kind.endswith("DatabaseUserInstallerJob") and job.arguments == [account.pk]
    assert HOSTILE_PASSWORD not in str(job.arguments) + job.label
    followed = user_client.get(response["Location"]).content.decode()
    assert_not_shown(followed, HOSTILE_PASSWORD)
    assert_not_shown(page_of(user_client, server), HOSTILE_PASSWORD)


def test_a_refused_user_never_shows_the_typed_password_back(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    response = user_client.post(url("server_database_user_create", server, "mariadb"), typed(name="root"))
    page = response.content.decode()
    assert response.status_code == 400 and "&#x27;root&#x27; is one of MariaDB&#x27;s own accounts." in page
    assert 'name="password"' in page  # the field is there, empty
    assert_not_shown(page, HOSTILE_PASSWORD)
    assert not DatabaseUser.objects.exists()
    nothing_changed()


def test_a_bad_host_is_refused(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    response = user_client.post(
        url("server_database_user_create", server, "mariadb"), typed(host="evil host")
    )
    assert response.status_code == 400 and "Invalid host &#x27;evil host&#x27;" in response.content.decode()
    assert not DatabaseUser.objects.exists()
    nothing_changed()


def test_typing_nothing_is_refused(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    response = user_client.post(url("server_database_user_create", server, "mariadb"), typed(password=""))
    assert response.status_code == 400 and "The password is empty." in response.content.decode()
    assert not DatabaseUser.objects.exists()
    nothing_changed()


def test_a_typed_password_with_generate_chosen_is_not_dropped_silently(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    sent = typed(password_source="generate")
    response = user_client.post(url("server_database_user_create", server, "mariadb"), sent)
    page = response.content.decode()
    assert response.status_code == 400 and "A password was typed, but generating one was chosen" in page
    assert_not_shown(page, HOSTILE_PASSWORD)
    assert not DatabaseUser.objects.exists()
    nothing_changed()


def test_a_generated_password_is_shown_once(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    sent = {"name": "app", "host": "localhost", "password_source": "generate", "password": ""}
    response = user_client.post(url("server_database_user_create", server, "mariadb"), sent)
    account = DatabaseUser.objects.get()
    job = Job.objects.get()
    generated = account.password
    page = response.content.decode()
    assert response.status_code == 200 and len(generated) >= 32
    assert f'<pre id="generated-password">{generated}</pre>' in page
    assert "this is the only time it is shown" in page and reverse("job_detail", args=[job.pk]) in page
    assert "no-store" in response["Cache-Control"]
    # Nowhere else: not in a message for the next page, not in a URL, not on any page after.
    assert all(generated not in str(message) for message in get_messages(response.wsgi_request))
    for address in (
        url("server_databases", server),
        url("server_database_user", server, account.pk),
        reverse("job_detail", args=[job.pk]),
    ):
        later = user_client.get(address).content.decode()
        assert generated not in later, address
        assert 'id="generated-password"' not in later


def test_grants_asked_for_are_recorded(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    shop, blog = make_database(server, "shop"), make_database(server, "blog")
    make_database(server, "wiki")
    make_database(server, "pending", status=DatabaseStatus.QUEUED)
    make_database(server, "other", engine="postgresql")
    page = page_of(user_client, server)
    form = page.split('id="new-user-mariadb"')[1].split("</section>")[0]
    # Ready MariaDB databases only, each with no access, read-only or read-write.
    assert f'name="grant_{shop.pk}"' in form and "pending" not in form and "other" not in form
    assert '<option value="ro">Read-only</option>' in form
    sent = typed(**{f"grant_{shop.pk}": "rw", f"grant_{blog.pk}": "ro"})
    user_client.post(url("server_database_user_create", server, "mariadb"), sent)
    account = DatabaseUser.objects.get()
    assert {(g.database.name, g.access) for g in DatabaseGrant.objects.filter(user=account)} == {
        ("shop", "rw"),
        ("blog", "ro"),
    }


# -- the user's page ----------------------------------------------------------------------------


def test_the_users_page_shows_its_access_per_database(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    shop = make_database(server, "shop")
    make_database(server, "blog")
    account = make_user(server, "app")
    DatabaseGrant.objects.create(user=account, database=shop, access="ro")
    page = user_client.get(url("server_database_user", server, account.pk)).content.decode()
    row = page.split(f'data-database-id="{shop.pk}"')[1].split("</tr>")[0]
    assert 'data-access="ro"' in row and "Read-only" in row
    assert (
        '<option value="ro" selected>' in row
        and url("server_database_user_revoke", server, account.pk) in row
    )
    assert url("server_database_user_password", server, account.pk) in page


def test_granting_records_the_grant_and_queues_the_users_job(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server, "shop")
    account = make_user(server, "app")
    sent = {"database": "shop", "access": "rw"}
    response = user_client.post(url("server_database_user_grant", server, account.pk), sent)
    job = Job.objects.get()
    account.refresh_from_db()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert [(g.database.name, g.access) for g in account.grants.all()] == [("shop", "rw")]
    assert account.status == DatabaseStatus.QUEUED and job.arguments == [account.pk]


def test_a_bad_grant_is_refused_on_the_users_page(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server, "shop")
    account = make_user(server, "app")
    response = user_client.post(
        url("server_database_user_grant", server, account.pk), {"database": "shop", "access": "all"}
    )
    assert response.status_code == 400
    assert (
        "Access to shop must be ro (read-only) or rw (read-write), not &#x27;all&#x27;."
        in response.content.decode()
    )
    response = user_client.post(
        url("server_database_user_grant", server, account.pk), {"database": "nope", "access": "ro"}
    )
    assert "web-1 has no MariaDB database called nope." in response.content.decode()
    assert not DatabaseGrant.objects.exists()
    nothing_changed()


def test_revoking_removes_the_grant(user_client: Client, server: Server, mariadb: ServerPackage) -> None:
    shop = make_database(server, "shop")
    account = make_user(server, "app")
    DatabaseGrant.objects.create(user=account, database=shop, access="rw")
    response = user_client.post(url("server_database_user_revoke", server, account.pk), {"database": "shop"})
    assert response["Location"] == reverse("job_detail", args=[Job.objects.get().pk])
    assert not DatabaseGrant.objects.exists()


def test_a_user_a_job_works_on_is_left_alone(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    make_database(server, "shop")
    account = make_user(server, "app", status=DatabaseStatus.APPLYING)
    response = user_client.post(
        url("server_database_user_grant", server, account.pk), {"database": "shop", "access": "ro"}
    )
    assert (
        response.status_code == 400 and "is applying: wait for its job to end." in response.content.decode()
    )
    assert not DatabaseGrant.objects.exists()
    nothing_changed()


def test_a_typed_new_password_is_kept_exactly(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    account = make_user(server, "app")
    sent = {"password_source": "type", "password": HOSTILE_PASSWORD}
    response = user_client.post(url("server_database_user_password", server, account.pk), sent)
    job = Job.objects.get()
    account.refresh_from_db()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert account.password == HOSTILE_PASSWORD and account.status == DatabaseStatus.QUEUED
    assert_not_shown(user_client.get(response["Location"]).content.decode(), HOSTILE_PASSWORD)


def test_a_refused_new_password_is_not_shown_back(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    account = make_user(server, "app", status=DatabaseStatus.QUEUED)
    sent = {"password_source": "type", "password": HOSTILE_PASSWORD}
    response = user_client.post(url("server_database_user_password", server, account.pk), sent)
    page = response.content.decode()
    assert response.status_code == 400 and "is queued: wait for its job to end." in page
    assert_not_shown(page, HOSTILE_PASSWORD)
    account.refresh_from_db()
    assert account.password == ""
    nothing_changed()


def test_a_generated_new_password_is_shown_once(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    account = make_user(server, "app")
    response = user_client.post(
        url("server_database_user_password", server, account.pk), {"password_source": "generate"}
    )
    account.refresh_from_db()
    job = Job.objects.get()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert f'<pre id="generated-password">{account.password}</pre>' in response.content.decode()
    assert reverse("job_detail", args=[job.pk]) in response.content.decode()
    assert (
        account.password
        not in user_client.get(url("server_database_user", server, account.pk)).content.decode()
    )


def test_deleting_a_user_is_confirmed_then_queued(
    user_client: Client, server: Server, mariadb: ServerPackage
) -> None:
    account = make_user(server, "app")
    page = user_client.get(url("server_database_user_delete", server, account.pk)).content.decode()
    assert "Delete the user <code>app@localhost</code>?" in page
    nothing_changed()
    response = user_client.post(url("server_database_user_delete", server, account.pk))
    job = Job.objects.get()
    account.refresh_from_db()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.kind.endswith("DatabaseUserRemoverJob") and account.status == DatabaseStatus.DROPPING
