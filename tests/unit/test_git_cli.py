"""`brokeforge sites repo`: the deploy key and pinned host key printed (and in the JSON), bad input
refused with a clear error and nothing changed, exit codes that say whether the site can fetch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.contrib.auth.models import User

from brokeforge.cli.main import cli
from brokeforge.cli.sites.git import EXIT_NOT_FETCHABLE, _exit_code
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

pytestmark = pytest.mark.django_db(transaction=True)
GITHUB_ED25519 = "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def site(brokeforge_home: Path) -> Site:
    admin = User.objects.create_superuser("admin", password="correct horse battery staple")
    server = Server.objects.create(owner=admin, name="web-1", public_ip="203.0.113.10")
    return Site.objects.create(server=server, domain="shop.example.com", system_user="shop_example_com")


def repo(site: Site, *args: str) -> tuple[Result, dict[str, Any]]:
    result = invoke("sites", "repo", str(site.pk), *args, "--json")
    return result, json.loads(result.stdout) if result.exit_code == 0 else {}


def test_setting_the_repository_prints_the_deploy_key_and_the_pinned_host_key(site: Site) -> None:
    result, shown = repo(site, "--url", "git@github.com:owner/repo.git")
    assert result.exit_code == 0, result.output
    site.refresh_from_db()
    assert shown["deploy_key_public"] == site.deploy_key_public
    assert (shown["repository_url"], shown["branch"], shown["git_host"]) == (
        "git@github.com:owner/repo.git",
        "main",
        "github.com",
    )
    assert (shown["host_key_fingerprint"], shown["host_key_status"]) == (GITHUB_ED25519, "shipped")
    assert shown["job_id"] == shown["job"]["id"] == Job.objects.get().pk
    assert "PRIVATE KEY" not in result.stdout

    people = invoke("sites", "repo", str(site.pk), "--show")
    assert site.deploy_key_public in people.stdout and "read-only deploy key" in people.stdout
    assert f"Host key of github.com: {GITHUB_ED25519} (shipped)" in people.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--url", "--upload-pack=id"), "starts with a dash"),
        (("--url", "git@host:repo.git", "--branch", "$(id)"), "Branch"),
        (("--url", "https://me:token@github.com/o/r.git"), "Credentials do not belong"),
        (("--branch", "main"), "no repository yet"),
        (("--accept-host-key", "SHA256:nope"), "not a host key fingerprint"),
        (("--url", "git@host:r.git", "--accept-host-key", GITHUB_ED25519), "give it alone"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    site: Site, args: tuple[str, ...], error: str
) -> None:
    result = invoke("sites", "repo", str(site.pk), *args)
    assert result.exit_code == 2
    assert error in " ".join(result.output.split())
    site.refresh_from_db()
    assert (site.repository_url, site.deploy_key_public, Job.objects.count()) == ("", "", 0)


def test_accepting_a_host_key_queues_the_check_with_it(site: Site) -> None:
    repo(site, "--url", "ssh://git@git.example.net:2222/app.git")
    result, shown = repo(site, "--accept-host-key", GITHUB_ED25519)
    assert result.exit_code == 0, result.output
    assert shown["job"]["label"].startswith(f"Accept host key {GITHUB_ED25519}")
    assert (shown["git_host"], shown["host_key_fingerprint"]) == ("[git.example.net]:2222", None)


@pytest.mark.parametrize(
    ("status", "access", "code"),
    [
        (JobStatus.SUCCEEDED, "granted", 0),
        (JobStatus.SUCCEEDED, "refused", EXIT_NOT_FETCHABLE),
        (JobStatus.SUCCEEDED, "branch_missing", EXIT_NOT_FETCHABLE),
        (JobStatus.FAILED, "host_key_changed", 1),
        (JobStatus.FAILED, None, 1),
    ],
)
def test_exit_codes_say_whether_the_site_can_fetch(status: str, access: str | None, code: int) -> None:
    assert _exit_code(Job(status=status, result={"access": access} if access else None)) == code
