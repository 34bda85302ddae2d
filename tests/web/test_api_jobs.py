"""The API's job journal: a user's own jobs only, with a site command's result."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from brokeforge.jobs.models import Job
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

RESULT = {"command": "id", "output": "uid=1001(shop)\n", "error_output": "", "exit_code": 0,
          "ran_at": "2026-11-23T10:00:00+00:00", "duration_ms": 12}  # fmt: skip


def test_a_job_with_its_steps_and_result(
    user_client: Client, server: Server, make_job: Callable[..., Job], make_step: Callable[..., object]
) -> None:
    site = Site.objects.create(server=server, domain="shop.example.com", system_user="shop")
    job = make_job(server, status="succeeded", site=site, site_domain=site.domain, result=RESULT)
    make_step(job, description="sudo -n -H -u shop -- bash -c id")
    data = user_client.get(f"/api/jobs/{job.pk}").json()
    assert (data["id"], data["site_id"], data["site_domain"], data["result"]) == (
        job.pk,
        site.pk,
        site.domain,
        RESULT,
    )
    assert [step["description"] for step in data["steps"]] == ["sudo -n -H -u shop -- bash -c id"]
    listed = user_client.get(f"/api/jobs/?site={site.pk}").json()
    assert [row["id"] for row in listed] == [job.pk]


def test_another_users_job_is_not_found(
    user_client: Client, other_server: Server, make_job: Callable[..., Job]
) -> None:
    job = make_job(other_server)
    assert user_client.get(f"/api/jobs/{job.pk}").status_code == 404
    assert user_client.get("/api/jobs/").json() == []


def test_without_signing_in_the_api_answers_401(
    client: Client, server: Server, make_job: Callable[..., Job]
) -> None:
    job = make_job(server)
    response = client.get(f"/api/jobs/{job.pk}")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}
