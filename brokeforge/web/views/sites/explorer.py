"""A site's file browser: directories with breadcrumbs, a file's contents, and an editor for
text files whose save is a job shown live on the same page. Everything the server sends (names,
symlink targets, contents) is shown as text: autoescaped, never marked safe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from brokeforge.actions import ActionError
from brokeforge.actions.sites import explorer as explorer_actions
from brokeforge.jobs.models import Job
from brokeforge.packages.services.sites.explorer.listing import Entry, FileContent, Listing
from brokeforge.sites.models import Site
from brokeforge.web.forms import FileEditForm
from brokeforge.web.views.journal import journal_context
from brokeforge.web.views.scope import user_jobs, user_site

ROOT = "."


@dataclass(frozen=True)
class Row:
    entry: Entry
    path: str  # the entry's path inside the site, for its link


def crumbs(path: str) -> list[tuple[str, str]]:
    """(name, path) of each directory from the site's directory down to `path`."""
    parts = [part for part in path.split("/") if part]
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


def rows(listing: Listing) -> list[Row]:
    return [Row(entry, f"{listing.path}/{entry.name}".lstrip("/")) for entry in listing.entries]


def file_url(site: Site, path: str, **more: Any) -> str:
    return f"{reverse('site_file', args=[site.pk])}?{urlencode({'path': path, **more})}"


def _refused(
    request: HttpRequest, template: str, context: dict[str, Any], error: ActionError
) -> HttpResponse:
    return render(request, template, {**context, "error": str(error)}, status=400)


@require_GET
def site_files(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    path = request.GET.get("path", ROOT)
    context: dict[str, Any] = {"site": site, "path": path}
    try:
        listing = explorer_actions.list_directory(site, path)
    except ActionError as exc:
        return _refused(request, "web/sites/explorer/browse.html", context, exc)
    context |= {
        "listing": listing,
        "crumbs": crumbs(listing.path),
        "rows": rows(listing),
        "parent": listing.path.rpartition("/")[0] or ROOT,
    }
    return render(request, "web/sites/explorer/browse.html", context)


@require_http_methods(["GET", "POST"])
def site_file(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    path = request.GET.get("path", "")
    if request.method == "POST":
        form = FileEditForm(request.POST)
        if form.is_valid():
            try:
                job = explorer_actions.write_file(site, path, form.contents(), request.user)
            except ActionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Saving {path} as {site.system_user} (job #{job.pk}).")
                return redirect(file_url(site, path, job=job.pk))
        return render(request, "web/sites/explorer/file.html", _file_context(site, path, form), status=400)
    context = {"site": site, "path": path, **_job_context(request, site)}
    try:
        content = explorer_actions.read_file(site, path)
    except ActionError as exc:
        return _refused(request, "web/sites/explorer/file.html", context, exc)
    return render(
        request, "web/sites/explorer/file.html", {**context, **_file_context(site, path, content=content)}
    )


def _file_context(
    site: Site, path: str, form: FileEditForm | None = None, content: FileContent | None = None
) -> dict[str, Any]:
    # What was read is what a save writes: the file itself, every symlink to it followed.
    where = content.path if content is not None else path
    if form is None and content is not None and content.text is not None:
        form = FileEditForm(
            initial={"content": content.text, "line_endings": FileEditForm.endings_of(content.text)}
        )
    return {
        "site": site,
        "path": path,
        "content": content,
        "form": form,
        "crumbs": crumbs(where.rpartition("/")[0]),
        "save_url": file_url(site, where),
    }


def _job_context(request: HttpRequest, site: Site) -> dict[str, Any]:
    """The save job named in the query (?job=), when it is one of this site's."""
    job_id = request.GET.get("job", "")
    job: Job | None = None
    if job_id.isdigit():
        job = user_jobs(request.user).filter(pk=int(job_id), site=site).first()
    return journal_context(job, with_outputs=False) if job is not None else {}
