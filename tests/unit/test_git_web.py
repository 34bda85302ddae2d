"""The repository on the site's pages: the form (bad input shown, nothing changed), the deploy key
to copy, the pinned host key, the job live, the accept button of a changed host key; a user's own
sites only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.actions.sites import git as git_actions
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

GITHUB_ED25519 = "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"
PINNED = "SHA256:" + "A" * 43
PRESENTED = "SHA256:" + "B" * 43


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(server=server, domain="shop.example.com", system_user="shop_example_com")


@pytest.fixture
def signed_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


def page(client: Client, name: str, site: Site) -> str:
    response = client.get(reverse(name, args=[site.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_site_page_loads_the_repository_card(signed_in: Client, site: Site) -> None:
    html = page(signed_in, "site_detail", site)
    assert f'hx-get="{reverse("site_repository_card", args=[site.pk])}" hx-trigger="load"' in html
    assert f'href="{reverse("site_repository", args=[site.pk])}"' in html
    card = page(signed_in, "site_repository_card", site)
    assert 'id="repository-form"' in card and "No repository yet" in card


def test_setting_the_repository_shows_the_deploy_key_and_the_pinned_host_key(
    signed_in: Client, site: Site
) -> None:
    data = {"url": "git@github.com:owner/repo.git", "branch": "main"}
    response = signed_in.post(reverse("site_repository", args=[site.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("site_repository", args=[site.pk])
    site.refresh_from_db()
    job = Job.objects.get()
    assert (site.repository_url, job.site, job.status) == (data["url"], site, JobStatus.QUEUED)
    html = page(signed_in, "site_repository", site)
    assert site.deploy_key_public in html and 'data-copy-target="deploy-key"' in html
    assert GITHUB_ED25519 in html and "shipped with BrokeForge" in html
    # It polls while the job runs, with the job's journal on this page.
    assert f'hx-get="{reverse("site_repository_live", args=[site.pk])}?journal=1"' in html
    assert 'id="journal"' in html
    assert "PRIVATE KEY" not in html
    live = page(signed_in, "site_repository_card", site)
    assert 'id="journal"' not in live  # the site page shows the job's journal once, in its own part


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"url": "--upload-pack=touch /tmp/x", "branch": "main"}, "no spaces"),
        ({"url": "git@github.com:o/r.git", "branch": "$(id)"}, "Branch"),
        ({"url": "https://me:secret@github.com/o/r.git", "branch": "main"}, "Credentials do not belong"),
    ],
)
def test_bad_input_is_shown_in_the_form_and_changes_nothing(
    signed_in: Client, site: Site, data: dict[str, str], error: str
) -> None:
    response = signed_in.post(reverse("site_repository", args=[site.pk]), data)
    assert response.status_code == 200 and error in response.content.decode()
    site.refresh_from_db()
    assert (site.repository_url, site.deploy_key_public, Job.objects.count()) == ("", "", 0)


def test_a_changed_host_key_shows_both_fingerprints_and_an_accept_button(
    signed_in: Client, site: Site, owner: User
) -> None:
    job = git_actions.set_repository(site, owner, "git@10.0.0.5:app.git")
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        error="The host key of 10.0.0.5 changed",
        result={
            "access": "host_key_changed",
            "host": "10.0.0.5",
            "host_key": {"fingerprint": PINNED, "status": "host_key_changed", "presented": PRESENTED},
            "message": f"The host key of 10.0.0.5 changed: BrokeForge pinned {PINNED}, ...",
        },
    )
    html = page(signed_in, "site_repository", site)
    assert PINNED in html and f'<code id="presented-host-key">{PRESENTED}</code>' in html
    assert f'name="fingerprint" value="{PRESENTED}"' in html
    response = signed_in.post(
        reverse("site_repository_accept_host_key", args=[site.pk]), {"fingerprint": PRESENTED}
    )
    assert response.status_code == 302
    accepted = Job.objects.order_by("-id").first()
    assert accepted is not None and accepted.arguments == [PRESENTED] and accepted.started_by == owner


def test_checking_again_queues_the_job_and_a_bad_fingerprint_is_refused(
    signed_in: Client, site: Site, owner: User
) -> None:
    response = signed_in.post(reverse("site_repository_check", args=[site.pk]), follow=True)
    assert "no repository yet" in response.content.decode() and Job.objects.count() == 0
    git_actions.set_repository(site, owner, "git@10.0.0.5:app.git")
    signed_in.post(reverse("site_repository_check", args=[site.pk]))
    assert Job.objects.count() == 2
    response = signed_in.post(
        reverse("site_repository_accept_host_key", args=[site.pk]), {"fingerprint": "yes"}, follow=True
    )
    assert "not a host key fingerprint" in response.content.decode() and Job.objects.count() == 2


def test_another_users_site_is_not_found(client: Client, site: Site) -> None:
    client.force_login(User.objects.create_user("mallory", password="correct horse battery"))
    for name in ("site_repository", "site_repository_card", "site_repository_live"):
        assert client.get(reverse(name, args=[site.pk])).status_code == 404
    for name in ("site_repository", "site_repository_check", "site_repository_accept_host_key"):
        assert client.post(reverse(name, args=[site.pk]), {"url": "git@h:r.git"}).status_code == 404
    assert Job.objects.count() == 0
