"""The environment page: names shown, values masked until revealed (and never cached); the raw
editor and the per-variable form queue writes whose new file the queue keeps encrypted; a file
Laravel cannot read is refused in the form; undo; another user's site is not found."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.actions import ActionError
from brokeforge.actions.sites import env as env_actions
from brokeforge.jobs.models import Job
from brokeforge.packages.services.sites.env.installer import EnvFile, unseal
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

FILE = (
    '# shop\nAPP_NAME="Shop <b>&</b>"\nAPP_KEY=base64:c2VjcmV0LWtleS12YWx1ZQ==\nREF="${APP_NAME}"\n'
    'CERT="line 1\nline 2"\n'
)
SHA = "a" * 64


@pytest.fixture
def site(server: Server, monkeypatch: pytest.MonkeyPatch) -> Site:
    spec = SiteSpec.validated("shop.example.com", "laravel", (), None, "8.2")
    site = Site.objects.create(server=server, **spec.model_fields(), status="active")
    monkeypatch.setattr(env_actions, "read_env", lambda _site: EnvFile(spec.env_file, FILE, SHA, True))
    return site


def url(name: str, site: Site) -> str:
    return reverse(name, args=[site.pk])


def test_values_are_masked_until_revealed(user_client: Client, site: Site) -> None:
    response = user_client.get(url("site_env", site))
    page = response.content.decode()
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert 'data-name="APP_KEY"' in page and "••••••" in page
    assert "c2VjcmV0" not in page and "Shop" not in page and "<textarea" not in page
    assert f'href="{url("site_env", site)}?reveal=1"' in page and 'id="undo-env"' in page

    page = user_client.get(url("site_env", site) + "?reveal=1").content.decode()
    assert "base64:c2VjcmV0LWtleS12YWx1ZQ==" in page and "Shop &lt;b&gt;&amp;&lt;/b&gt;" in page
    assert "<textarea" in page and f'value="{SHA}"' in page and "(refers to other variables)" in page
    assert 'name="var-0-name"' in page and 'name="var-TOTAL_FORMS"' in page
    # A value over several lines cannot go through a one-line input: only the file editor edits it.
    assert "A value over several lines" in page and 'name="var-3-value"' not in page


def test_the_raw_file_is_written_encrypted_in_the_queue(user_client: Client, site: Site) -> None:
    new = "APP_KEY=base64:bmV3LXNlY3JldC12YWx1ZQ==\nA=1\n"
    # Browsers send a textarea's lines ending in CRLF: the file keeps the endings it had.
    sent = {"content": new.replace("\n", "\r\n"), "base": SHA, "line_endings": "lf"}
    response = user_client.post(url("site_env_save", site), sent)
    assert response.status_code == 302 and response["Location"] == url("site_env", site)
    job = Job.objects.get()
    assert "bmV3LXNlY3JldC12YWx1ZQ" not in json.dumps(job.arguments)
    assert unseal(job.arguments[1]) == (new, SHA)
    page = user_client.get(url("site_env", site)).content.decode()
    assert f"#{job.pk} Write the environment file of shop.example.com" in page  # the change, live


def test_a_file_laravel_cannot_read_is_refused_in_the_form(user_client: Client, site: Site) -> None:
    sent = {"content": "A=1\nB=two words\n", "base": SHA, "line_endings": "lf"}
    response = user_client.post(url("site_env_save", site), sent)
    assert response.status_code == 400
    assert "Line 2: unexpected text after a value" in response.content.decode()
    assert not Job.objects.exists()


def _rows(*rows: tuple[str, str, str, bool], multiline: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"base": SHA, "var-TOTAL_FORMS": len(rows), "var-INITIAL_FORMS": 0}
    for index, (original, name, value, remove) in enumerate(rows):
        data |= {f"var-{index}-original": original, f"var-{index}-name": name, f"var-{index}-value": value}
        if remove:
            data[f"var-{index}-remove"] = "on"
        if index == multiline:
            data[f"var-{index}-multiline"] = "True"
    return data


def test_variables_are_set_quoted_and_the_rest_stays(user_client: Client, site: Site) -> None:
    rows = _rows(
        ("APP_NAME", "APP_NAME", 'Shop "2" $5 #1', False),  # changed
        ("APP_KEY", "APP_KEY", "base64:c2VjcmV0LWtleS12YWx1ZQ==", True),  # removed
        ("REF", "REFERENCE", "${APP_NAME}", False),  # renamed
        ("", "NEW", "a\\b = c", False),  # added
        ("", "", "", False),  # an empty row
        ("CERT", "CERT", "", False),  # a value over several lines, shown without an input: kept
        multiline=5,
    )
    assert user_client.post(url("site_env_variables", site), rows).status_code == 302
    content, base = unseal(Job.objects.get().arguments[1])
    assert base == SHA
    assert content == (
        '# shop\nAPP_NAME="Shop \\"2\\" \\$5 #1"\nCERT="line 1\nline 2"\nREFERENCE="\\${APP_NAME}"\n'
        'NEW="a\\\\b = c"\n'
    )


def test_a_bad_name_is_shown_on_its_row(user_client: Client, site: Site) -> None:
    response = user_client.post(url("site_env_variables", site), _rows(("", "1BAD", "x", False)))
    assert response.status_code == 400 and "Invalid variable name" in response.content.decode()
    assert not Job.objects.exists()


def test_undo_queues_its_job(user_client: Client, site: Site) -> None:
    assert user_client.post(url("site_env_undo", site))["Location"] == url("site_env", site)
    job = Job.objects.get()
    assert job.arguments == ["undo"] and job.label == "Undo the last environment change of shop.example.com"


def test_a_server_that_cannot_be_read_is_said_so(
    user_client: Client, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(_site: Site) -> EnvFile:
        raise ActionError("Could not read from web-1: connection refused")

    monkeypatch.setattr(env_actions, "read_env", unreachable)
    response = user_client.get(url("site_env", site))
    assert response.status_code == 400 and "Could not read from web-1" in response.content.decode()


def test_another_users_site_is_not_found(user_client: Client, other_server: Server) -> None:
    theirs = Site.objects.create(
        server=other_server, domain="theirs.example.com", system_user="theirs_example_com"
    )
    assert user_client.get(url("site_env", theirs)).status_code == 404
    for name in ("site_env_save", "site_env_variables", "site_env_undo"):
        assert user_client.post(url(name, theirs), {"content": "A=1"}).status_code == 404
    assert not Job.objects.exists()
