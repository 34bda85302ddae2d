"""A site's logs page: the last lines of the log chosen, and with "follow" the same followed live
over Server-Sent Events (panel.js shows them: a snapshot, then each new piece).

The stream is one `tail -F` on the server over a direct SSH channel, run in a thread of its own
for at most FOLLOW_SECONDS; it stops within half a second of the browser going away (the view's
generator is closed, which tells the thread to close the channel)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from brokeforge.actions import ActionError
from brokeforge.actions.sites import logs as log_actions
from brokeforge.sites.models import Site
from brokeforge.web.forms import SiteLogForm
from brokeforge.web.views.scope import user_site, user_sites

# How long one page follows a log; reloading the page follows it again.
FOLLOW_SECONDS = 600
# The lines `tail` prints first come in a few pieces: gathered this long into one snapshot.
SNAPSHOT_SECONDS = 0.3


@require_GET
def site_logs(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    context: dict[str, Any] = {"site": site}
    try:
        form = SiteLogForm(request.GET or None, log_actions.log_kinds(site))
        context["form"] = form
        if form.is_bound and not form.is_valid():
            return render(request, "web/sites/logs/logs.html", context, status=400)
        kind, lines, follow = form.choice()
        context["tail"] = log_actions.read_log(site, kind, lines)
    except ActionError as exc:
        return render(request, "web/sites/logs/logs.html", {**context, "error": str(exc)}, status=400)
    if follow:
        query = urlencode({"kind": kind, "lines": lines})
        context["stream_url"] = f"{reverse('site_log_stream', args=[site.pk])}?{query}"
        context["follow_seconds"] = FOLLOW_SECONDS
    return render(request, "web/sites/logs/logs.html", context)


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class LogFollower:
    """One followed log: a thread runs the SSH command and hands its output to the event loop
    through a queue; `stop()` ends it."""

    def __init__(self, site: Site, kind: str, lines: int, seconds: int) -> None:
        self.site, self.kind, self.lines, self.seconds = site, kind, lines, seconds
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.stopped = threading.Event()
        self.note = ""

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"log-follow-{self.site.pk}", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()

    def _put(self, chunk: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens any more
            self.loop.call_soon_threadsafe(self.queue.put_nowait, chunk)

    def _run(self) -> None:
        try:
            ran_out = log_actions.follow_log(
                self.site, self.kind, self.lines, self.seconds, self._put, lambda: not self.stopped.is_set()
            )
            if ran_out:
                self.note = f"Stopped following after {self.seconds} seconds; reload the page to go on."
        except ActionError as exc:
            self.note = f"Stopped following: {exc}"
        finally:
            connections.close_all()  # this thread's own database connection
            self._put(None)

    async def events(self) -> AsyncIterator[bytes]:
        """A snapshot of the first lines, the new output as it comes, a closing note, then end."""
        snapshot = await self._gather()
        yield _event("snapshot", snapshot or "")
        if snapshot is not None:
            while (chunk := await self.queue.get()) is not None:
                yield _event("output", chunk)
        if self.note:
            yield _event("output", f"\n[{self.note}]\n")
        yield _event("end", "")

    async def _gather(self) -> str | None:
        """The first output, and what follows it within SNAPSHOT_SECONDS; None if it ended."""
        first = await self.queue.get()
        if first is None:
            return None
        pieces = [first]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SNAPSHOT_SECONDS):
                while (chunk := await self.queue.get()) is not None:
                    pieces.append(chunk)
                self.queue.put_nowait(None)  # the end, kept for events()
        return "".join(pieces)


def _stream_site(user: Any, site_id: int, query: Any) -> tuple[Site, str, int]:
    site = get_object_or_404(user_sites(user).select_related("server"), pk=site_id)
    form = SiteLogForm(query, log_actions.log_kinds(site))
    if not form.is_valid():
        raise ActionError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    kind, lines, _follow = form.choice()
    return site, kind, lines


@require_GET
async def site_log_stream(request: HttpRequest, site_id: int) -> HttpResponseBase:
    user = await request.auser()
    try:
        site, kind, lines = await sync_to_async(_stream_site)(user, site_id, request.GET)
    except ActionError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    follower = LogFollower(site, kind, lines, FOLLOW_SECONDS)

    async def stream() -> AsyncIterator[bytes]:
        follower.start()
        try:
            async for event in follower.events():
                yield event
        finally:
            follower.stop()  # the browser went away, or the log ended: the thread closes its channel

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the events back
    return response
