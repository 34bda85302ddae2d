"""Setting a site's repository: validated first (bad input changes nothing), one deploy key per site
kept across changes, the job queued; accepting a host key goes through the same job, by its
fingerprint; what the panel shows of the pinned host key without asking the server."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from brokeforge.actions import ActionError
from brokeforge.actions.sites import git as git_actions
from brokeforge.jobs.models import Job
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import fingerprint

GITHUB_ED25519 = "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(server=server, domain="shop.example.com", system_user="shop_example_com")


def test_setting_the_repository_gives_the_site_its_own_deploy_key_once(site: Site, owner: User) -> None:
    job = git_actions.set_repository(site, owner, "git@github.com:owner/repo.git", "main")
    site.refresh_from_db()
    assert (site.repository_url, site.branch) == ("git@github.com:owner/repo.git", "main")
    assert site.deploy_key_public.startswith("ssh-ed25519 ")
    assert site.deploy_key_public.endswith(" brokeforge-deploy@shop.example.com")
    assert "PRIVATE KEY" in site.deploy_key_private
    assert (job.site, job.label, job.arguments) == (site, "Set the repository of shop.example.com", [])

    key = site.deploy_key_public
    git_actions.set_repository(site, owner, "git@gitlab.com:owner/other.git", "release/v2")
    site.refresh_from_db()
    assert site.deploy_key_public == key and site.branch == "release/v2"


def test_the_private_key_is_encrypted_at_rest(site: Site, owner: User) -> None:
    git_actions.set_repository(site, owner, "git@github.com:owner/repo.git")
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Site._meta.db_table)
        cursor.execute(f"SELECT deploy_key_private FROM {table} WHERE id = %s", [site.pk])  # noqa: S608
        (stored,) = cursor.fetchone()
    assert stored and "PRIVATE KEY" not in stored


def test_without_a_url_the_current_repository_is_checked_again(site: Site, owner: User) -> None:
    with pytest.raises(ActionError, match="no repository yet"):
        git_actions.set_repository(site, owner)
    git_actions.set_repository(site, owner, "git@github.com:owner/repo.git", "dev")
    git_actions.set_repository(site, owner)
    site.refresh_from_db()
    assert (site.repository_url, site.branch, Job.objects.count()) == (
        "git@github.com:owner/repo.git",
        "dev",
        2,
    )


@pytest.mark.parametrize(
    ("url", "branch"),
    [
        ("--upload-pack=id", "main"),
        ("git@github.com:owner/repo.git", "main\nid"),
        ("https://user:pw@github.com/o/r.git", "main"),
        ("git@github.com:$(id).git", "main"),
    ],
)
def test_bad_input_changes_nothing(site: Site, owner: User, url: str, branch: str) -> None:
    with pytest.raises(ActionError):
        git_actions.set_repository(site, owner, url, branch)
    site.refresh_from_db()
    assert (site.repository_url, site.deploy_key_public, Job.objects.count()) == ("", "", 0)


def test_accepting_a_host_key_queues_the_job_with_its_fingerprint(site: Site, owner: User) -> None:
    with pytest.raises(ActionError, match="no repository"):
        git_actions.accept_host_key(site, owner, GITHUB_ED25519)
    git_actions.set_repository(site, owner, "ssh://git@git.example.net:2222/app.git")
    with pytest.raises(ActionError, match="not a host key fingerprint"):
        git_actions.accept_host_key(site, owner, "yes")
    job = git_actions.accept_host_key(site, owner, f" {GITHUB_ED25519} ")
    assert job.arguments == [GITHUB_ED25519]
    assert GITHUB_ED25519 in job.label
    assert git_actions.latest_repository_job(site) == job


def test_an_https_repository_has_no_host_key_to_accept(site: Site, owner: User) -> None:
    git_actions.set_repository(site, owner, "https://github.com/owner/repo.git")
    with pytest.raises(ActionError, match="HTTPS"):
        git_actions.accept_host_key(site, owner, GITHUB_ED25519)


def test_the_state_shows_the_shipped_or_pinned_host_key(site: Site, owner: User) -> None:
    assert git_actions.repository_state(site).as_dict()["repository_url"] is None
    git_actions.set_repository(site, owner, "git@github.com:owner/repo.git")
    state = git_actions.repository_state(site).as_dict()
    assert (state["git_host"], state["host_key_fingerprint"], state["host_key_status"]) == (
        "github.com",
        GITHUB_ED25519,
        "shipped",
    )
    git_actions.set_repository(site, owner, "ssh://git@10.0.0.5:2222/app.git")
    assert git_actions.repository_state(site).as_dict()["host_key_fingerprint"] is None
    own = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBFyGFrbeyYp1NDt+f/4a7+4Ku2DI324NggKHWY9gJdv"
    site.git_known_hosts = f"[10.0.0.5]:2222 {own}\n"
    state = git_actions.repository_state(site).as_dict()
    assert (state["git_host"], state["host_key_fingerprint"], state["host_key_status"]) == (
        "[10.0.0.5]:2222",
        fingerprint(own),
        "pinned",
    )
