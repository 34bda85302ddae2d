"""A job still queued when its server is deleted fails, saying why, instead of staying queued."""

from __future__ import annotations

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import JobStatus
from brokeforge.packages.services.firewall.jobs import FirewallRuleInstallerJob
from brokeforge.servers.models import Server


@pytest.mark.django_db
def test_the_job_fails_with_a_clear_message(server: Server) -> None:
    job = queue.create_job(FirewallRuleInstallerJob, server, 8080, "alt")
    Server.objects.filter(pk=server.pk).delete()  # as a deletion racing the queue would
    queue.run_job.func(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "Server web-1 was deleted before this job could run; nothing was done."
    assert job.finished_at is not None and not job.steps.exists()
