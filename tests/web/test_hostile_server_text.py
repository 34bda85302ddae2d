"""Whatever a server says, the web panel shows it as text: escaped, never interpreted."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Site
from tests.hostile import HOSTILE, NEVER_RAW_IN_A_PAGE


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_every_page_showing_server_text_escapes_it(
    user_client: Client,
    server: Server,
    make_job: Callable[..., Job],
    make_step: Callable[..., object],
    hostile: str,
) -> None:
    Server.objects.filter(pk=server.pk).update(
        os_name=hostile, os_version=hostile, connection_error=hostile, connection_status="failed"
    )
    ServerPackage.objects.create(
        server=server, package_type=PackageType.FIREWALL, package_name=PackageName.FIREWALL_RULE,
        instance=hostile, package_version=hostile, configuration={"name": hostile}, status="installed",
    )  # fmt: skip
    site = Site.objects.create(server=server, domain="shop.example.com", system_user="shop")
    job = make_job(server, status="failed", error=hostile, label=hostile, site=site, site_domain=site.domain,
                   result={"command": hostile, "output": hostile, "error_output": hostile, "exit_code": 1,
                           "ran_at": hostile, "duration_ms": 1})  # fmt: skip
    make_step(job, status="failed", description=hostile, output=hostile)
    pages = [
        reverse("servers"),
        reverse("server_detail", args=[server.pk]),
        reverse("server_live", args=[server.pk]),
        reverse("jobs"),
        reverse("job_detail", args=[job.pk]),
        reverse("job_journal", args=[job.pk]),
        reverse("site_detail", args=[site.pk]),
    ]
    for url in pages:
        page = user_client.get(url).content.decode()
        for raw in NEVER_RAW_IN_A_PAGE:
            assert raw not in page, (url, raw)
        if url not in (reverse("servers"), reverse("jobs")):
            assert html.escape(hostile[:4]) in page, url  # shown, as text
