"""The file browser and logs pages: only for the signed-in user's own sites, text from the server
shown as text, saves behind CSRF and going through the action, the log stream's events.
The actions themselves are replaced here (they talk to servers: see the e2e test)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import User
from django.test import AsyncClient, Client
from django.urls import reverse

from brokeforge.actions import ActionError
from brokeforge.actions.sites import explorer as explorer_actions
from brokeforge.actions.sites import logs as log_actions
from brokeforge.jobs.models import Job
from brokeforge.packages.services.sites.explorer.listing import Entry, FileContent, Listing
from brokeforge.packages.services.sites.logs.reader import LogKind, LogTail
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

HOSTILE = "<img src=x onerror=alert(1)>"
WHEN = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(
        server=server, domain="shop.test", system_user="shop_test", site_type="php", php_version="8.2"
    )


@pytest.fixture
def signed_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """The actions, answering from here; what they were asked, by name."""
    seen: dict[str, list[Any]] = {}

    def fake(name: str, answer: Callable[..., Any]) -> None:
        def record(*args: Any) -> Any:
            seen.setdefault(name, []).append(args)
            return answer(*args)

        monkeypatch.setattr(
            explorer_actions if hasattr(explorer_actions, name) else log_actions, name, record
        )

    fake("list_directory", lambda site, path: listing())
    fake("read_file", lambda site, path: FileContent("shared/.env", 12, 0o600, WHEN, b"A=1\r\nB=2\r\n"))
    fake("write_file", lambda site, path, content, user: Job.objects.create(site=site, server=site.server))
    fake("read_log", lambda site, kind, lines: LogTail(LogKind(kind), "/var/log/x.log", True, f"{HOSTILE}\n"))
    return seen


def listing() -> Listing:
    entries = (
        Entry("public", "directory", 4096, 0o755, WHEN, "shop_test"),
        Entry(HOSTILE, "file", 3, 0o644, WHEN, "shop_test"),
        Entry("new\nline", "file", 1, 0o644, WHEN, "shop_test"),
        Entry("env", "symlink", 11, 0o777, WHEN, "shop_test", f"../{HOSTILE}", "missing"),
    )
    return Listing("releases/initial", entries, truncated=False)


def pages(site: Site) -> list[str]:
    return [
        reverse("site_files", args=[site.pk]),
        reverse("site_file", args=[site.pk]) + "?path=a",
        reverse("site_logs", args=[site.pk]),
        reverse("site_log_stream", args=[site.pk]),
    ]


def test_pages_need_signing_in(client: Client, site: Site, calls: dict[str, list[Any]]) -> None:
    for url in pages(site):
        assert client.get(url).status_code == 302
    assert client.post(reverse("site_file", args=[site.pk]) + "?path=a", {}).status_code == 302
    assert calls == {}


def test_another_users_site_is_not_found(client: Client, site: Site, calls: dict[str, list[Any]]) -> None:
    client.force_login(User.objects.create_user("mallory", password="x"))
    for url in pages(site):
        assert client.get(url).status_code == 404
    saved = client.post(
        reverse("site_file", args=[site.pk]) + "?path=a", {"content": "x", "line_endings": "lf"}
    )
    assert saved.status_code == 404
    assert calls == {}


def test_a_directory_shows_names_as_text(signed_in: Client, site: Site, calls: dict[str, list[Any]]) -> None:
    response = signed_in.get(reverse("site_files", args=[site.pk]), {"path": "current"})
    page = response.content.decode()
    assert response.status_code == 200 and calls["list_directory"] == [(site, "current")]
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "?path=releases/initial/public" in page  # a directory opens as one
    assert "?path=releases/initial/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E" in page
    assert 'title="A name with a newline cannot be opened here">new\nline</span>' in page
    assert "(missing)" in page and 'id="parent-link"' in page


def test_a_refused_path_says_why(signed_in: Client, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(site: Site, path: str) -> Listing:
        raise ActionError(f"{path!r} leads outside {site.path}: refused.")

    monkeypatch.setattr(explorer_actions, "list_directory", refuse)
    response = signed_in.get(reverse("site_files", args=[site.pk]), {"path": "../.."})
    assert response.status_code == 400
    assert "&#x27;../..&#x27; leads outside /home/shop_test/shop.test: refused." in response.content.decode()


def test_a_text_file_opens_in_the_editor(signed_in: Client, site: Site, calls: dict[str, list[Any]]) -> None:
    page = signed_in.get(reverse("site_file", args=[site.pk]), {"path": "current/.env"}).content.decode()
    assert "A=1\r\nB=2\r\n</textarea>" in page
    assert 'name="line_endings" value="crlf"' in page
    assert f'action="/sites/{site.pk}/files/file/?path=shared%2F.env"' in page


def test_a_binary_file_is_not_shown(signed_in: Client, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = FileContent("logo.png", 4, 0o644, WHEN, b"\x89PNG")
    monkeypatch.setattr(explorer_actions, "read_file", lambda site, path: binary)
    page = signed_in.get(reverse("site_file", args=[site.pk]), {"path": "logo.png"}).content.decode()
    assert 'id="binary-file"' in page and "<textarea" not in page


def test_saving_needs_the_csrf_token(site: Site, owner: User, calls: dict[str, list[Any]]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("site_file", args=[site.pk]) + "?path=a.txt"
    assert client.post(url, {"content": "x", "line_endings": "lf"}).status_code == 403
    assert "write_file" not in calls


@pytest.mark.parametrize(("endings", "written"), [("lf", "a\nb\n"), ("crlf", "a\r\nb\r\n")])
def test_a_save_keeps_the_files_line_endings_and_shows_its_job(
    signed_in: Client, site: Site, owner: User, calls: dict[str, list[Any]], endings: str, written: str
) -> None:
    url = reverse("site_file", args=[site.pk]) + "?path=a.txt"
    response = signed_in.post(url, {"content": "a\r\nb\r\n", "line_endings": endings})
    [(_site, path, content, user)] = calls["write_file"]
    assert (path, content, user) == ("a.txt", written, owner)
    job = Job.objects.get()
    assert response.url == f"{reverse('site_file', args=[site.pk])}?path=a.txt&job={job.pk}"
    page = signed_in.get(response.url).content.decode()
    assert 'id="save-job"' in page and f'data-job-id="{job.pk}"' in page


def test_a_refused_save_keeps_the_edits(
    signed_in: Client, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> Job:
        raise ActionError(
            "'logo.png' is a binary file (NUL bytes or not UTF-8): it cannot be edited as text."
        )

    monkeypatch.setattr(explorer_actions, "write_file", refuse)
    url = reverse("site_file", args=[site.pk]) + "?path=logo.png"
    response = signed_in.post(url, {"content": "my edits", "line_endings": "lf"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "is a binary file" in page and "my edits</textarea>" in page


def test_the_logs_page_shows_lines_as_text(
    signed_in: Client, site: Site, calls: dict[str, list[Any]]
) -> None:
    response = signed_in.get(reverse("site_logs", args=[site.pk]), {"kind": "php", "lines": "20"})
    page = response.content.decode()
    assert calls["read_log"] == [(site, "php", 20)]
    assert HOSTILE not in page and "&lt;img src=x" in page
    assert "data-stream-url" not in page
    followed = signed_in.get(
        reverse("site_logs", args=[site.pk]), {"kind": "error", "lines": "5", "follow": "on"}
    )
    stream = reverse("site_log_stream", args=[site.pk])
    assert f'id="live-output" data-stream-url="{stream}?kind=error&amp;lines=5"' in followed.content.decode()


def test_the_logs_page_refuses_a_kind_the_site_has_not(signed_in: Client, server: Server) -> None:
    static = Site.objects.create(
        server=server, domain="docs.test", system_user="docs_test", site_type="static"
    )
    response = signed_in.get(reverse("site_logs", args=[static.pk]), {"kind": "php", "lines": "5"})
    assert (
        response.status_code == 400 and "php is not one of the available choices" in response.content.decode()
    )


def events(chunks: list[bytes]) -> list[tuple[str, str]]:
    parsed = []
    for chunk in chunks:
        event, data = chunk.decode().strip().split("\n")
        parsed.append((event.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return parsed


def test_the_stream_sends_the_log_as_it_comes(
    site: Site, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def follow(site: Site, kind: str, lines: int, seconds: int, on_output: Any, keep_going: Any) -> bool:
        assert (kind, lines, keep_going()) == ("access", 3, True)
        for chunk in ["1\n2\n", "3\n", HOSTILE]:
            on_output(chunk)
        return True  # its time ran out

    monkeypatch.setattr(log_actions, "follow_log", follow)

    async def scenario() -> list[bytes]:
        client = AsyncClient()
        await sync_to_async(client.force_login)(owner)
        response = await client.get(
            reverse("site_log_stream", args=[site.pk]), {"kind": "access", "lines": "3"}
        )
        assert response["Content-Type"] == "text/event-stream"
        return [chunk async for chunk in response.streaming_content]

    received = events(async_to_sync(scenario)())
    assert received[0][0] == "snapshot" and received[-1] == ("end", "")
    text = received[0][1] + "".join(data for name, data in received[1:-2] if name == "output")
    assert text == f"1\n2\n3\n{HOSTILE}"
    assert received[-2] == ("output", "\n[Stopped following after 600 seconds; reload the page to go on.]\n")


def test_the_stream_stops_the_follow_when_the_browser_goes_away(
    site: Site, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[bool] = []

    def follow(site: Site, kind: str, lines: int, seconds: int, on_output: Any, keep_going: Any) -> bool:
        on_output("first\n")
        deadline = time.monotonic() + 10
        while keep_going() and time.monotonic() < deadline:
            time.sleep(0.01)
        stopped.append(not keep_going())
        return False

    monkeypatch.setattr(log_actions, "follow_log", follow)

    async def scenario() -> tuple[str, str]:
        client = AsyncClient()
        await sync_to_async(client.force_login)(owner)
        response = await client.get(
            reverse("site_log_stream", args=[site.pk]), {"kind": "error", "lines": "1"}
        )
        stream = aiter(response.streaming_content)
        first = events([await anext(stream)])[0]
        await stream.aclose()  # what Django does when the client disconnects
        return first

    assert async_to_sync(scenario)() == ("snapshot", "first\n")
    deadline = time.monotonic() + 5
    while not stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped == [True]


def test_the_stream_refuses_bad_input(signed_in: Client, site: Site) -> None:
    response = signed_in.get(reverse("site_log_stream", args=[site.pk]), {"kind": "access", "lines": "0"})
    assert response.status_code == 400
