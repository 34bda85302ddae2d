"""A site's page: its jobs, commands run as the site user with their results shown as text."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from brokeforge.actions import sites as site_actions
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.packages.services.sites.command.jobs import SiteCommandInstallerJob
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

HOSTILE = "<script>alert('x')</script> [/bold] \x1b[31m"


def make_site(server: Server, domain: str = "shop.example.com") -> Site:
    return Site.objects.create(server=server, domain=domain, system_user="shop")


def test_the_site_page_lists_its_commands_with_their_results(user_client: Client, server: Server) -> None:
    site = make_site(server)
    job = site_actions.run_command(site, "php artisan about", 60, server.owner)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        result={"command": "php artisan about", "output": HOSTILE, "error_output": "", "exit_code": 0,
                "ran_at": "2026-11-23T10:00:00+00:00", "duration_ms": 420},
    )  # fmt: skip
    page = user_client.get(reverse("site_detail", args=[site.pk])).content.decode()
    assert "php artisan about" in page and "420 ms" in page
    assert "<script>alert" not in page  # text from a server is shown as text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_running_a_command_queues_a_site_job(user_client: Client, server: Server) -> None:
    site = make_site(server)
    response = user_client.post(
        reverse("site_run_command", args=[site.pk]), {"command": "ls -la", "timeout": 30}
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert (job.site, job.server, job.kind.rsplit(".", 1)[1]) == (
        site,
        server,
        SiteCommandInstallerJob.__name__,
    )
    assert job.arguments == ["ls -la", 30]
    assert job.status == JobStatus.QUEUED


def test_an_empty_command_changes_nothing(user_client: Client, server: Server) -> None:
    site = make_site(server)
    response = user_client.post(reverse("site_run_command", args=[site.pk]), {"command": "  ", "timeout": 30})
    assert response.status_code == 302
    assert not Job.objects.exists()


def test_another_users_site_is_not_found(user_client: Client, other_server: Server) -> None:
    site = make_site(other_server)
    assert user_client.get(reverse("site_detail", args=[site.pk])).status_code == 404
    assert user_client.post(reverse("site_run_command", args=[site.pk]), {"command": "id"}).status_code == 404
    assert not Job.objects.exists()


def test_the_job_page_shows_the_site_and_the_result(user_client: Client, server: Server) -> None:
    site = make_site(server)
    job = site_actions.run_command(site, "echo hi", 60, server.owner)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        result={"command": "echo hi", "output": "", "error_output": HOSTILE, "exit_code": 3,
                "ran_at": "2026-11-23T10:00:00+00:00", "duration_ms": 7},
    )  # fmt: skip
    page = user_client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert 'id="job-result"' in page and "shop.example.com" in page
    assert '<strong class="exit-code">3</strong>' in page
    assert "<script>alert" not in page


def test_the_server_page_links_its_sites(user_client: Client, server: Server) -> None:
    site = make_site(server)
    page = user_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    assert reverse("site_detail", args=[site.pk]) in page
