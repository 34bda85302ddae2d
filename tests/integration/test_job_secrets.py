"""A value registered as secret anywhere in a job is masked in every text the panel stores or logs,
in its raw and quoted forms, and reaches the server only on stdin (never a command line)."""

from __future__ import annotations

import logging
import shlex

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Command, Milestones, PackageInstaller, PackageJob, ServerPackage, Step
from brokeforge.servers.models import Server, ServerPackageEvent
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

# Quotes of both kinds, a dollar and a backslash: its shell-quoted form differs from the raw one.
SECRET = "Pa55'w\"o$rd\\x-tail"


class LeakyMilestones(Milestones):
    WRITE = "write", "Writing the secret where it belongs"
    COMPLETE = "complete", "Done"


class LeakyInstaller(PackageInstaller, ServerPackage):
    """Does what careless code would: prints the secret, puts it in an error, logs it."""

    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[LeakyMilestones]:
        return LeakyMilestones

    def execute(self) -> None:
        self.secret(SECRET)
        self.install(self.commands())

    def commands(self) -> list[Step]:
        return [
            self.track(LeakyMilestones.WRITE),
            # The right way: on stdin, into a 0600 file. `ps` on the server never shows it.
            Command("umask 077 && cat > /root/secret.txt", stdin=SECRET),
            # Careless ways: echoed to the output, quoted into a command, logged, raised.
            "cat /root/secret.txt; echo; ps -eo args > /root/ps.txt",
            f"echo {shlex.quote(SECRET)} >&2; exit 0",
            self.panel(
                "Log it", lambda: logging.getLogger("brokeforge.test").warning("the secret is %s", SECRET)
            ),
            f"echo {shlex.quote(SECRET)} >&2; false",
        ]


class LeakyJob(PackageJob):
    def run(self) -> None:
        LeakyInstaller(self.server).execute()


def stored_texts(job: Job) -> list[str]:
    texts = [job.error, job.label, str(job.result)]
    for step in job.steps.all():
        texts += [step.description, step.output]
    texts += [str(event.__dict__) for event in ServerPackageEvent.objects.filter(job_id=job.pk)]
    return texts


def test_a_registered_secret_never_reaches_a_stored_text_or_a_log(
    connected_server: Server, debian_server: BootedServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        job = queue.run_inline(LeakyJob, connected_server)
    assert job.status == JobStatus.FAILED
    # It did reach the server, exactly, in a file only root reads.
    assert debian_server.run("cat /root/secret.txt").stdout == SECRET
    assert debian_server.run("stat -c %a /root/secret.txt").stdout.strip() == "600"
    # No process on the server had it on its command line while the job ran.
    assert SECRET not in debian_server.run("cat /root/ps.txt").stdout

    forms = {SECRET, shlex.quote(SECRET), "Pa55", "-tail"}
    texts = stored_texts(job)
    assert any("••••••" in text for text in texts)
    for text in texts:
        for form in forms:
            assert form not in text, (form, text)
    handler_output = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    for form in forms:
        assert form not in handler_output, form
