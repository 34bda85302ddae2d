"""A site's deployments in the browser: deploying queues a deployment and shows its job live; the
history marks the live release and offers a rollback to the others; the preview shows what would
go out as text; the settings form refuses bad values and changes nothing then. Another user's
site is not found."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import DeploymentStatus, DeploymentTrigger, SiteStatus
from brokeforge.servers.models import Server
from brokeforge.sites.models import Deployment, Site


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(
        server=server, domain="shop.example.com", system_user="shop_example_com", status=SiteStatus.ACTIVE,
        repository_url="git@git.example.com:shop/app.git", branch="main", php_version="8.2",
        deploy_key_private="not a key",
    )  # fmt: skip


def test_deploying_queues_a_deployment_and_shows_its_job(user_client: Client, site: Site) -> None:
    response = user_client.post(reverse("site_deploy", args=[site.pk]), {"commit": "", "deploy": ""})
    deployment = Deployment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job_detail", args=[deployment.job_id])
    assert (deployment.status, deployment.trigger, deployment.branch) == ("queued", "manual", "main")
    assert deployment.release.endswith(f"-{deployment.pk}")


def test_a_bad_commit_is_refused_and_queues_nothing(user_client: Client, site: Site) -> None:
    user_client.post(reverse("site_deploy", args=[site.pk]), {"commit": "HEAD; rm -rf /"})
    assert not Deployment.objects.exists() and not Job.objects.exists()


def test_the_history_marks_the_live_release_and_offers_rollbacks(user_client: Client, site: Site) -> None:
    def deployment(status: str, release: str, **fields: str) -> Deployment:
        return Deployment.objects.create(
            site=site, trigger=DeploymentTrigger.MANUAL, status=status, release=release, **fields
        )

    old = deployment(DeploymentStatus.SUCCEEDED, "20261123100000-1", commit="a" * 40)
    live = deployment(DeploymentStatus.SUCCEEDED, "20261123110000-2", commit="b" * 40)
    deployment(DeploymentStatus.FAILED, "20261123120000-3", reason="<b>Health check failed</b>")
    Site.objects.filter(pk=site.pk).update(current_release=live.release)
    page = user_client.get(reverse("site_deployments", args=[site.pk])).content.decode()
    assert f'data-deployment-id="{live.pk}" data-status="succeeded" data-live="true"' in page
    assert reverse("site_rollback", args=[site.pk, old.pk]) in page
    assert reverse("site_rollback", args=[site.pk, live.pk]) not in page
    assert "&lt;b&gt;Health check failed&lt;/b&gt;" in page  # the server's words, as text

    response = user_client.post(reverse("site_rollback", args=[site.pk, old.pk]))
    rollback = Deployment.objects.get(trigger=DeploymentTrigger.ROLLBACK)
    assert response["Location"] == reverse("job_detail", args=[rollback.job_id])
    assert (rollback.release, rollback.rollback_of) == (old.release, old)


def test_the_preview_shows_the_commits_and_the_script_as_text(user_client: Client, site: Site) -> None:
    response = user_client.post(reverse("site_deploy", args=[site.pk]), {"commit": "", "preview": ""})
    job = Job.objects.get()
    assert response["Location"] == reverse("site_preview", args=[site.pk, job.pk])
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, result={
        "commit": "c" * 40, "live_commit": "b" * 40, "live_release": "r1", "script": "echo '<script>'\n",
        "commits": [{"sha": "c" * 40, "author": "Ada", "subject": "<img src=x onerror=alert(1)>"}],
    })  # fmt: skip
    page = user_client.get(response["Location"]).content.decode()
    assert "c" * 12 in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "echo &#x27;&lt;script&gt;&#x27;" in page
    assert not Deployment.objects.exists()  # a preview deploys nothing


def test_bad_settings_are_refused_and_change_nothing(user_client: Client, site: Site) -> None:
    form = {"script": "", "shared": "../etc", "keep_releases": 5, "health_path": "/up", "health_status": 200,
            "health_timeout": 10}  # fmt: skip
    response = user_client.post(reverse("site_deploy_settings", args=[site.pk]), form)
    assert response.status_code == 200 and "Shared path" in response.content.decode()
    site.refresh_from_db()
    assert (site.shared_paths, site.health_path) == (None, "/")
    user_client.post(reverse("site_deploy_settings", args=[site.pk]), {**form, "shared": ".env, storage/"})
    site.refresh_from_db()
    assert (site.shared_paths, site.health_path) == ([".env", "storage/"], "/up")


def test_another_users_site_is_not_found(user_client: Client, other_server: Server) -> None:
    theirs = Site.objects.create(
        server=other_server, domain="their.example.com", system_user="their_example_com"
    )
    for name in ("site_deployments", "site_deploy_settings", "site_webhook_settings"):
        assert user_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert user_client.post(reverse("site_deploy", args=[theirs.pk]), {"commit": ""}).status_code == 404
    assert not Deployment.objects.exists()
