"""Every response carries a Content Security Policy that allows only the panel's own files, and the
pages hold nothing it would block (inline scripts, inline styles, event handler attributes): the
browser test then shows htmx and the live stream working under it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job, JobStep
from brokeforge.servers.models import Server


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {name: value for name, _, value in (d.strip().partition(" ") for d in policy.split(";"))}


def test_policy_allows_only_the_panel_itself(client: Client, db: None) -> None:
    policy = directives(client.get(reverse("login")))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    for value in policy.values():
        assert "unsafe" not in value and "*" not in value and "data:" not in value


def test_every_kind_of_response_has_it(user_client: Client, server: Server) -> None:
    anonymous = Client()
    responses = [
        user_client.get(reverse("servers")),  # a page
        user_client.get(reverse("server_live", args=[server.pk]), headers={"HX-Request": "true"}),
        user_client.get("/no/such/page/"),  # an error
        anonymous.get(reverse("servers")),  # the redirect to sign in
        anonymous.get("/api/jobs/"),  # the API's 401
        user_client.get("/api/jobs/"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 302, 401, 200]
    for response in responses:
        assert directives(response)["default-src"] == "'self'"


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        # A <script type="application/json"> is data the browser never runs; the policy allows it.
        runs = (dict(attrs).get("type") or "text/javascript") in ("text/javascript", "module")
        if tag == "script" and "src" not in names and runs:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{name}= on <{tag}>" for name, _ in attrs if name == "style" or name.startswith("on")]
        self.found += [
            f"javascript: URL in <{tag}>" for _, value in attrs if value and value.startswith("javascript:")
        ]


@pytest.fixture
def pages(user_client: Client, server: Server, make_job, make_step) -> list[str]:
    job: Job = make_job(server, status="running")
    step: JobStep = make_step(job, status="running", output="apt-get install nginx\n")
    urls = [
        reverse("servers"),
        reverse("server_add"),
        reverse("server_detail", args=[server.pk]),
        reverse("server_live", args=[server.pk]),
        reverse("jobs"),
        reverse("job_detail", args=[job.pk]),
        reverse("job_journal", args=[job.pk]),
        reverse("password_change"),
    ]
    assert step.pk
    responses = [Client().get(reverse("login"))] + [user_client.get(url) for url in urls]
    assert [r.status_code for r in responses] == [200] * len(responses)
    return [r.content.decode() for r in responses]


def test_pages_have_nothing_the_policy_blocks(pages: list[str]) -> None:
    for page in pages:
        parser = InlineCode()
        parser.feed(page)
        assert parser.found == [], page[:200]


def test_the_check_finds_inline_code() -> None:
    parser = InlineCode()
    parser.feed(
        '<script type="application/json">{}</script><script>alert(1)</script>'
        '<div style="width: 5%" onclick="x()"><a href="javascript:x()">'
    )
    assert parser.found == [
        "<script> without src",
        "style= on <div>",
        "onclick= on <div>",
        "javascript: URL in <a>",
    ]


def test_htmx_is_told_not_to_inject_styles_or_eval(user_client: Client, user: User) -> None:
    page = user_client.get(reverse("servers")).content.decode()
    assert (
        """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>"""
        in page
    )


def test_api_docs_come_from_the_panel_itself(user_client: Client) -> None:
    page = user_client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert "cdn." not in html and "https://" not in html
    parser = InlineCode()
    parser.feed(html)
    assert parser.found == []
