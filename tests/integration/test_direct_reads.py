"""Direct reads (jobs/direct.py) on a real server: a package's read-only steps run at once, with
no job and no server lock, even while a job holds the server; each logs in as its own user; a
followed read streams its output and stops, on the server too, when its reader goes away."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient
from django.urls import reverse

from brokeforge.jobs import queue
from brokeforge.jobs.direct import NotConnected, direct
from brokeforge.jobs.models import Job, JobStatus, ServerLock
from brokeforge.lib.enums import CredentialType
from brokeforge.packages.services.sites.command.jobs import SiteCommandInstallerJob
from brokeforge.packages.services.sites.explorer.confine import Refused
from brokeforge.packages.services.sites.explorer.installer import SiteFileExplorer
from brokeforge.packages.services.sites.logs.reader import SiteLogReader
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import HostKeyMismatch
from tests.testbed import BootedServer
from tests.workers import wait_for

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

ACCESS_LOG = "/var/log/nginx/shop.test-access.log"


@pytest.fixture
def site(connected_server: Server, debian_server: BootedServer) -> Site:
    # Sites are created by the sites feature; here the user, its files and a log are made by hand.
    debian_server.run(
        "useradd --create-home --shell /bin/bash --groups brokeforge-sites shop_test"
        " && su shop_test -c 'mkdir -p ~/shop.test/releases/initial/public ~/.logs"
        " && ln -s releases/initial ~/shop.test/current && echo shop > ~/shop.test/current/public/index.html'"
        " && install -d -m 0755 /var/log/nginx"
        f" && printf 'GET /one\\nGET /two\\n' > {ACCESS_LOG} && chmod 0640 {ACCESS_LOG}"
    )
    return Site.objects.create(
        server=connected_server,
        domain="shop.test",
        system_user="shop_test",
        site_type="php",
        php_version="8.2",
    )


def test_reads_run_at_once_while_a_job_holds_the_server(site: Site, start_worker: Callable[..., Any]) -> None:
    start_worker()
    busy = queue.dispatch(SiteCommandInstallerJob, site, "sleep 10", 60)
    wait_for(lambda: Job.objects.get(pk=busy.pk).status == JobStatus.RUNNING, 60, "the job to run")
    jobs_before = Job.objects.count()
    started = time.monotonic()
    with direct(site.server):
        listing = SiteFileExplorer(site.server, site).listing("current/public")
        tail = SiteLogReader(site.server, SiteSpec.of(site)).tail("access", 1)
    assert time.monotonic() - started < 5
    assert [entry.name for entry in listing.entries] == ["index.html"]
    assert (tail.path, tail.exists, tail.text) == (ACCESS_LOG, True, "GET /two\n")
    # No job of its own, and the job's lock untouched.
    assert Job.objects.count() == jobs_before
    busy.refresh_from_db()
    assert busy.status == JobStatus.RUNNING, busy.error
    assert ServerLock.objects.get(server=site.server).job_id == busy.pk


def test_each_read_logs_in_as_the_user_it_needs(site: Site, debian_server: BootedServer) -> None:
    # Root-only files: Nginx's log is read as root, a file of the site as the site user.
    debian_server.run(
        f"chmod 0600 {ACCESS_LOG} && install -m 0600 /dev/null /home/shop_test/shop.test/root-only"
    )
    with direct(site.server) as runner:
        tail = SiteLogReader(site.server, SiteSpec.of(site)).tail("access", 5)
        assert tail.text == "GET /one\nGET /two\n"
        with pytest.raises(Refused, match="'root-only' cannot be read by the site's user"):
            SiteFileExplorer(site.server, site).read("root-only")
    assert runner.result is None


def test_a_followed_read_streams_and_stops_on_the_server_when_told(
    site: Site, debian_server: BootedServer
) -> None:
    received: list[str] = []
    php_log = "/home/shop_test/.logs/php-error.log"

    def on_output(chunk: str) -> None:
        received.append(chunk)
        if "".join(received) == "first\n":
            debian_server.run(f"su shop_test -c 'echo second >> {php_log}'")

    reader = SiteLogReader(site.server, SiteSpec.of(site))
    debian_server.run(f"su shop_test -c 'echo first > {php_log}'")
    with direct(site.server) as runner:
        result = runner.follow(
            reader.follow_command("php", 10, 60),
            CredentialType.BROKEFORGE,
            on_output,
            keep_going=lambda: "second" not in "".join(received),
        )
    assert result is None and "".join(received) == "first\nsecond\n"
    wait_for(
        lambda: debian_server.run("pgrep -u shop_test tail", check=False).stdout == "",
        10,
        "the followed tail to end on the server",
    )


def test_a_followed_read_ends_at_its_time_limit(site: Site) -> None:
    reader = SiteLogReader(site.server, SiteSpec.of(site))
    received: list[str] = []
    started = time.monotonic()
    with direct(site.server) as runner:
        result = runner.follow(
            reader.follow_command("access", 1, 2), CredentialType.BROKEFORGE, received.append, lambda: True
        )
    assert result is not None and result.exit_code == 124
    assert reader.judge(reader.kind("access"), result) is result
    assert "".join(received) == "GET /two\n" and 2 <= time.monotonic() - started < 10


def test_a_changed_host_key_is_refused(site: Site, debian_server: BootedServer) -> None:
    debian_server.regenerate_host_keys()
    with pytest.raises(HostKeyMismatch), direct(site.server):
        SiteFileExplorer(site.server, site).listing(".")


def test_a_server_never_connected_and_another_server_are_refused(site: Site, owner: Any) -> None:
    fresh = Server.objects.create(owner=owner, name="fresh", public_ip="203.0.113.7", ssh_port=22)
    with pytest.raises(NotConnected, match="fresh has not been connected yet"), direct(fresh):
        pass
    with pytest.raises(ValueError, match="one server it was opened for"), direct(site.server):
        SiteFileExplorer(fresh, Site(server=fresh, domain="a.test", system_user="a_test")).listing(".")


def test_the_log_page_streams_a_real_log(site: Site, debian_server: BootedServer) -> None:
    """The whole way: the page's stream, the action, the direct runner, `tail -F` on the server."""

    owner = site.server.owner

    async def scenario() -> list[tuple[str, str]]:
        client = AsyncClient()
        await sync_to_async(client.force_login)(owner)
        url = reverse("site_log_stream", args=[site.pk])
        response = await client.get(url, {"kind": "access", "lines": "2"})
        stream = aiter(response.streaming_content)
        events = [await anext(stream)]
        await sync_to_async(debian_server.run)(f"echo 'GET /three' >> {ACCESS_LOG}")
        events.append(await anext(stream))
        await stream.aclose()  # the browser goes away
        return [_parse(event) for event in events]

    assert async_to_sync(scenario)() == [("snapshot", "GET /one\nGET /two\n"), ("output", "GET /three\n")]
    wait_for(
        lambda: debian_server.run("pgrep -x tail", check=False).stdout == "",
        10,
        "the followed tail to end on the server",
    )


def _parse(chunk: bytes) -> tuple[str, str]:
    event, data = chunk.decode().strip().split("\n")
    return event.removeprefix("event: "), json.loads(data.removeprefix("data: "))
