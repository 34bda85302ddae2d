"""The provisioning part of the server page follows the server's record and its package events,
and polls only while a job is queued or running."""

from django.test import Client
from django.urls import reverse

from brokeforge.lib.enums import ProvisionStatus
from brokeforge.servers.models import Server, ServerPackageEvent


def _live(client: Client, server: Server) -> str:
    response = client.get(reverse("server_live", args=[server.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_steps_and_progress_follow_the_server_record(user_client: Client, server: Server, make_job) -> None:
    make_job(server, status="running")
    Server.objects.filter(pk=server.pk).update(
        provision_status=ProvisionStatus.INSTALLING,
        provision={"1": "completed", "2": "completed", "3": "completed", "4": "installing"},
    )
    page = _live(user_client, server)
    assert 'id="provision-progress" class="progress-line" data-progress="43"' in page
    assert '<span class="percent">43%</span>' in page
    assert page.count('class="provision-step"') == 7
    assert 'data-step="1" data-status="completed"' in page
    assert 'data-step="4" data-status="installing"' in page
    assert 'data-step="5" data-status="pending"' in page


def test_milestone_of_the_current_package(user_client: Client, server: Server, make_job) -> None:
    job = make_job(server, status="running")
    for step, label in [(1, "Preparing"), (2, "Installing packages")]:
        ServerPackageEvent.objects.create(
            server=server,
            job_id=job.pk,
            service_type="nginx",
            provision_type="install",
            milestone=label.lower(),
            label=label,
            current_step=step,
            total_steps=4,
        )
    page = _live(user_client, server)
    assert "step 2 of 4 — Installing packages" in page
    assert 'id="package-progress" class="milestone" data-progress="50.0"' in page


def test_polls_while_a_job_is_active_and_stops_after(user_client: Client, server: Server, make_job) -> None:
    job = make_job(server, status="queued")
    assert 'hx-trigger="every 1s"' in _live(user_client, server)
    job.status = "running"
    job.save()
    assert 'hx-trigger="every 1s"' in _live(user_client, server)
    job.status = "succeeded"
    job.save()
    assert "hx-trigger" not in _live(user_client, server)


def test_no_polling_without_jobs(user_client: Client, server: Server) -> None:
    assert "hx-trigger" not in _live(user_client, server)
