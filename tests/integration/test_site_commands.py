"""A site command runs on a real server as the site's own user, in its directory; the job keeps its
result (output, error output, exit code, duration) where the UI, CLI and API read it."""

from __future__ import annotations

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import JobStatus
from brokeforge.packages.services.sites.command.jobs import SiteCommandInstallerJob
from brokeforge.servers.models import Server
from brokeforge.sites.models import ServerSitePackageEvent, Site
from tests.testbed import BootedServer
from tests.workers import wait_for

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(connected_server: Server, debian_server: BootedServer) -> Site:
    # Sites are created by the sites feature; here the user and directory are made by hand.
    debian_server.run(
        "useradd --create-home --shell /bin/bash --groups brokeforge-sites shop"
        " && install -d -o shop -g shop /home/shop/shop.test"
    )
    return Site.objects.create(server=connected_server, domain="shop.test", system_user="shop")


def test_a_command_runs_as_the_site_user_in_the_site_directory(site: Site) -> None:
    command = 'printf \'%s|\' "$(id -un)" "$PWD" "$HOME" \'100% "quoted" $x\'; echo warn >&2'
    job = queue.run_inline(SiteCommandInstallerJob, site, command, 30)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.site_id == site.pk and job.server_id == site.server_id
    result = job.result
    assert result is not None
    assert result["output"] == 'shop|/home/shop/shop.test|/home/shop|100% "quoted" $x|'
    assert result["error_output"] == "warn\n"
    assert (result["command"], result["exit_code"]) == (command, 0)
    assert result["duration_ms"] >= 0 and result["ran_at"]
    events = ServerSitePackageEvent.objects.filter(job_id=job.pk)
    assert {(e.milestone, e.status) for e in events} == {
        ("prepare_execution", "success"),
        ("run_command", "success"),
        ("complete", "success"),
    }


def test_a_failing_command_keeps_its_result_and_fails_the_job(site: Site) -> None:
    job = queue.run_inline(SiteCommandInstallerJob, site, "echo partial; echo broken >&2; exit 3", 30)
    assert job.status == JobStatus.FAILED
    assert "exit code 3" in job.error
    assert job.result is not None
    assert (job.result["output"], job.result["error_output"], job.result["exit_code"]) == (
        "partial\n",
        "broken\n",
        3,
    )
    failed = ServerSitePackageEvent.objects.get(job_id=job.pk, status="failed")
    assert "broken" in failed.error_log


def test_a_command_past_its_timeout_is_stopped_with_all_it_started(
    site: Site, debian_server: BootedServer
) -> None:
    command = "sleep 30 & echo $! > /home/shop/child; wait; touch /home/shop/late"
    job = queue.run_inline(SiteCommandInstallerJob, site, command, 2)
    assert job.status == JobStatus.FAILED
    assert "timed out after 2s" in job.error
    child = debian_server.run("cat /home/shop/child").stdout.strip()
    # Stopped on the server, as the site user, down to the process it left in the background.
    wait_for(
        lambda: debian_server.run(f"kill -0 {child}", check=False).returncode != 0,
        10,
        "the command's background process to be stopped",
    )
    assert debian_server.run("pgrep -u shop", check=False).stdout == ""
    assert debian_server.run("test -e /home/shop/late", check=False).returncode == 1


def test_the_brokeforge_user_becomes_site_users_but_never_root(
    site: Site, debian_server: BootedServer
) -> None:
    as_brokeforge = "sudo -u brokeforge -H sh -c"
    assert debian_server.run(f"{as_brokeforge} 'sudo -n -u shop id -un'").stdout == "shop\n"
    for escalation in [
        "sudo -n true",
        "sudo -n -u root id",
        "sudo -n -u brokeforge id",
        "sudo -n systemctl stop ssh",
    ]:
        refused = debian_server.run(f"{as_brokeforge} {escalation!r}", check=False)
        assert refused.returncode != 0, escalation
    # A user outside the sites group is not reachable either.
    debian_server.run("useradd --create-home other")
    assert debian_server.run(f"{as_brokeforge} 'sudo -n -u other id'", check=False).returncode != 0
    # What it may do as root: check and reload the web services (nginx is not installed here, so
    # the command itself fails, but sudo lets it run: not "a password is required").
    allowed = debian_server.run(f"{as_brokeforge} 'sudo -n /usr/sbin/nginx -t'", check=False)
    assert "password is required" not in allowed.stderr and "not allowed" not in allowed.stderr
