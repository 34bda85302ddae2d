"""The jobs page: every job of the user's servers, filtered by server and status."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.actions import servers as server_actions
from brokeforge.servers.models import Server


def _job_ids(response) -> list[int]:
    return [job.pk for job in response.context["page"].object_list]


def test_empty_state(user_client: Client) -> None:
    assert b"No jobs yet" in user_client.get(reverse("jobs")).content


def test_lists_and_filters(user_client: Client, user: User, server: Server, make_job) -> None:
    db_1 = server_actions.add_server(user, "db-1", "203.0.113.20")
    failed = make_job(server, status="failed")
    running = make_job(server, status="running")
    elsewhere = make_job(db_1, status="failed")
    url = reverse("jobs")
    assert _job_ids(user_client.get(url)) == [elsewhere.pk, running.pk, failed.pk]
    assert _job_ids(user_client.get(url, {"server": server.pk})) == [running.pk, failed.pk]
    assert _job_ids(user_client.get(url, {"status": "failed"})) == [elsewhere.pk, failed.pk]
    assert _job_ids(user_client.get(url, {"server": server.pk, "status": "failed"})) == [failed.pk]
    assert b"No jobs match these filters" in user_client.get(url, {"status": "stalled"}).content


def test_invalid_filters_are_reported(user_client: Client, server: Server, make_job) -> None:
    job = make_job(server)
    for params in ({"status": "exploded"}, {"server": "abc"}, {"server": "999999"}):
        response = user_client.get(reverse("jobs"), params)
        assert response.status_code == 200
        assert b"Select a valid choice" in response.content
        assert _job_ids(response) == [job.pk]


def test_pagination_keeps_filters(user_client: Client, server: Server, make_job) -> None:
    for _ in range(55):
        make_job(server, status="succeeded")
    response = user_client.get(reverse("jobs"), {"status": "succeeded"})
    assert len(_job_ids(response)) == 50
    assert b"?status=succeeded&amp;page=2" in response.content
    assert len(_job_ids(user_client.get(reverse("jobs"), {"status": "succeeded", "page": 2}))) == 5
