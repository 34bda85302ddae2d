"""A retried job carries on from the command that failed; what succeeded is not run again."""

from __future__ import annotations

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import JobStatus, StepStatus
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Milestones, PackageInstaller, PackageJob, ServerPackage, Step
from brokeforge.servers.models import Server
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


class CountingInstallerMilestones(Milestones):
    COUNT = "count", "Counting"
    COMPLETE = "complete", "Counted"


class CountingInstaller(PackageInstaller, ServerPackage):
    """Appends to a file on the server, so the test sees which commands really ran, how often."""

    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[CountingInstallerMilestones]:
        return CountingInstallerMilestones

    def execute(self) -> None:
        self.install(self.commands())

    def commands(self) -> list[Step]:
        return [
            self.track(CountingInstallerMilestones.COUNT),
            "echo one >> /root/ran",
            "echo two >> /root/ran",
            "test -f /root/go",  # fails until the test creates it
            "echo three >> /root/ran",
            self.track(CountingInstallerMilestones.COMPLETE),
        ]


class CountingJob(PackageJob):
    def run(self) -> None:
        CountingInstaller(self.server).execute()


def test_retry_skips_what_succeeded_and_runs_the_rest(
    connected_server: Server, debian_server: BootedServer
) -> None:
    first = queue.run_inline(CountingJob, connected_server)
    assert first.status == JobStatus.FAILED
    assert "test -f /root/go" in first.error
    debian_server.run("touch /root/go")

    retry = queue.create_job(CountingJob, connected_server, retry_of=first)
    queue.acquire_lock(retry)
    try:
        queue.execute(retry)
    finally:
        queue.release_lock(retry)
    retry.refresh_from_db()

    assert retry.status == JobStatus.SUCCEEDED, retry.error
    assert debian_server.run("cat /root/ran").stdout.split() == ["one", "two", "three"]
    statuses = {s.description: s.status for s in retry.steps.filter(is_command=True)}
    assert statuses == {
        "echo one >> /root/ran": StepStatus.SKIPPED,
        "echo two >> /root/ran": StepStatus.SKIPPED,
        "test -f /root/go": StepStatus.SUCCEEDED,
        "echo three >> /root/ran": StepStatus.SUCCEEDED,
    }


class NamingInstaller(CountingInstaller):
    """Its first command names the server: renaming the server changes that command."""

    def commands(self) -> list[Step]:
        return [
            self.track(CountingInstallerMilestones.COUNT),
            f"echo {self.server.name} >> /root/ran",
            "echo two >> /root/ran",
            "test -f /root/go",
            self.track(CountingInstallerMilestones.COMPLETE),
        ]


class NamingJob(PackageJob):
    def run(self) -> None:
        NamingInstaller(self.server).execute()


def test_a_retry_runs_again_a_command_that_changed_since(
    connected_server: Server, debian_server: BootedServer
) -> None:
    first = queue.run_inline(NamingJob, connected_server)
    assert first.status == JobStatus.FAILED
    connected_server.name = "web-renamed"
    connected_server.save()
    debian_server.run("touch /root/go")

    retry = queue.create_job(NamingJob, connected_server, retry_of=first)
    queue.acquire_lock(retry)
    try:
        queue.execute(retry)
    finally:
        queue.release_lock(retry)
    retry.refresh_from_db()

    assert retry.status == JobStatus.SUCCEEDED, retry.error
    # The renamed command ran again; the unchanged one was skipped.
    assert debian_server.run("cat /root/ran").stdout.split() == ["web-1", "two", "web-renamed"]
    statuses = {s.description: s.status for s in retry.steps.filter(is_command=True)}
    assert statuses["echo web-renamed >> /root/ran"] == StepStatus.SUCCEEDED
    assert statuses["echo two >> /root/ran"] == StepStatus.SKIPPED
