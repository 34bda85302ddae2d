"""Whatever a server says, the CLI prints it as text: no markup read, no terminal control sent."""

from __future__ import annotations

from typing import Any

import pytest

from brokeforge.jobs.models import Job, JobStatus, JobStep, StepStatus
from brokeforge.jobs.queue import job_path
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.services.sites.command.jobs import SiteCommandInstallerJob
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Site
from tests.hostile import HOSTILE, NEVER_RAW_IN_A_TERMINAL

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=HOSTILE, ids=range(len(HOSTILE)))
def hostile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_saying(add_server: Any, hostile: str) -> Server:
    """A server whose every piece of reported text is the hostile value."""
    server = Server.objects.get(pk=add_server()["id"])
    Server.objects.filter(pk=server.pk).update(
        os_name=hostile, os_version=hostile, connection_error=hostile, connection_status="failed"
    )
    ServerPackage.objects.create(
        server=server, package_type=PackageType.FIREWALL, package_name=PackageName.FIREWALL_RULE,
        instance=hostile, package_version=hostile, configuration={"name": hostile, "port": 80},
        status="installed",
    )  # fmt: skip
    site = Site.objects.create(server=server, domain="shop.example.com", system_user="shop")
    job = Job.objects.create(
        kind=job_path(SiteCommandInstallerJob), label=hostile, server=server, server_name=server.name,
        site=site, site_domain=site.domain, status=JobStatus.FAILED, error=hostile, arguments=[hostile, 60],
        result={"command": hostile, "output": hostile, "error_output": hostile, "exit_code": 1,
                "ran_at": hostile, "duration_ms": 3},
    )  # fmt: skip
    JobStep.objects.create(
        job=job, seq=1, key="k#1", section=hostile, description=hostile, status=StepStatus.FAILED,
        exit_code=1, output=hostile, output_bytes=len(hostile),
    )  # fmt: skip
    return Server.objects.get(pk=server.pk)


@pytest.mark.parametrize(
    "command",
    [
        ("servers", "list"),
        ("servers", "show", "{server}"),
        ("jobs", "list"),
        ("jobs", "show", "{job}", "--output"),
        ("sites", "commands", "{site}"),
        ("firewall", "list", "{server}"),
    ],
    ids=lambda words: " ".join(words),
)
def test_hostile_text_prints_as_text(
    invoke: Invoke, server_saying: Server, hostile: str, command: tuple[str, ...]
) -> None:
    ids = {"server": server_saying.pk, "job": Job.objects.get().pk, "site": server_saying.sites.get().pk}
    result = invoke(*(word.format(**ids) for word in command))
    assert result.exit_code == 0, result.output
    for raw in NEVER_RAW_IN_A_TERMINAL:
        assert raw not in result.stdout, (raw, result.stdout)
    if "[/bold]" in hostile:
        assert "[/bold]" in result.stdout  # shown, not read as markup


def test_control_characters_are_shown_as_escapes(invoke: Invoke, add_server: Any) -> None:
    server = Server.objects.get(pk=add_server()["id"])
    Server.objects.filter(pk=server.pk).update(os_name="a\x1b[31mb\rc")
    result = invoke("servers", "show", str(server.pk))
    assert "a\\x1b[31mb\\rc" in result.stdout
