"""A remover end to end on a real server: one firewall rule deleted, exactly its record gone."""

from __future__ import annotations

import pytest

from brokeforge.actions import ActionError
from brokeforge.actions import firewall as firewall_actions
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import PackageStatus
from brokeforge.packages.services.firewall.jobs import FirewallInstallerJob, FirewallRuleInstallerJob
from brokeforge.servers.models import Server
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def run_queued(job: Job) -> Job:
    """Run a dispatched job here, as a worker would."""
    queue.acquire_lock(job)
    try:
        queue.execute(job)
    finally:
        queue.release_lock(job)
    job.refresh_from_db()
    return job


def test_deleting_one_rule_changes_the_server_and_removes_only_its_row(
    connected_server: Server, debian_server: BootedServer
) -> None:
    debian_server.run("apt-get update -qq")  # a fresh base image has no package lists
    assert queue.run_inline(FirewallInstallerJob, connected_server).status == JobStatus.SUCCEEDED
    for port, name in [(connected_server.ssh_port, "SSH"), (8080, "alt http"), (8443, "alt https")]:
        job = queue.run_inline(FirewallRuleInstallerJob, connected_server, port, name)
        assert job.status == JobStatus.SUCCEEDED, job.error
    rules = firewall_actions.rules(connected_server)
    assert {rule.instance: rule.status for rule in rules} == {
        "allow 22/tcp from any": PackageStatus.INSTALLED,
        "allow 8080/tcp from any": PackageStatus.INSTALLED,
        "allow 8443/tcp from any": PackageStatus.INSTALLED,
    }
    assert "8080/tcp" in debian_server.run("ufw status").stdout

    doomed = rules.get(instance="allow 8080/tcp from any")
    job = run_queued(firewall_actions.delete_rule(doomed))
    assert job.status == JobStatus.SUCCEEDED, job.error

    status = debian_server.run("ufw status").stdout
    assert "8080/tcp" not in status
    assert "8443/tcp" in status and "22/tcp" in status
    assert sorted(firewall_actions.rules(connected_server).values_list("instance", flat=True)) == [
        "allow 22/tcp from any",
        "allow 8443/tcp from any",
    ]
    ufw_row = connected_server.packages.get(package_name="firewall_ufw")
    assert "8080/tcp" not in {rule["to"] for rule in ufw_row.configuration["rules"]}

    ssh_rule = firewall_actions.rules(connected_server).get(instance="allow 22/tcp from any")
    with pytest.raises(ActionError, match="cannot be deleted: the panel reaches"):
        firewall_actions.delete_rule(ssh_rule)
