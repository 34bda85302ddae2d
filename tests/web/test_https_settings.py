"""The environment variables of running behind HTTPS, read by a fresh panel process as production
reads them; bad values stop the panel with a message; `brokeforge serve` refuses plain HTTP on the
network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from brokeforge.cli.serve import plain_http_refusal
from brokeforge.lib.public_url import parse_public_url
from tests.workers import REPO

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - what the refusal is about

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = ["ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_SSL_HOST",
         "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST"]
values = {name: getattr(s, name) for name in names}
values["TRUSTED_PROXIES"] = [str(n) for n in s.TRUSTED_PROXIES]
print(json.dumps(values))
"""


def panel_process(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BROKEFORGE_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            "BROKEFORGE_HOME": str(tmp_path / "home"),
            "DJANGO_SETTINGS_MODULE": "brokeforge.settings",
            "PYTHONPATH": str(REPO),
            **env,
        },
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_with(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = panel_process(tmp_path, SHOW_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def test_an_https_public_url_turns_everything_on(tmp_path: Path) -> None:
    values = settings_with(tmp_path, BROKEFORGE_PUBLIC_URL="https://Panel.Example.com:8443/")
    assert values == {
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "panel.example.com"],
        "CSRF_TRUSTED_ORIGINS": ["https://panel.example.com:8443"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_SSL_HOST": "panel.example.com:8443",
        "SESSION_COOKIE_AGE": 3600,
        "SESSION_SAVE_EVERY_REQUEST": False,
        "TRUSTED_PROXIES": ["127.0.0.0/8", "::1/128"],
    }


def test_without_a_public_url_the_panel_stays_local(tmp_path: Path) -> None:
    values = settings_with(tmp_path)
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert values["CSRF_TRUSTED_ORIGINS"] == []
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_SSL_REDIRECT"] is False


def test_the_other_settings_are_read(tmp_path: Path) -> None:
    values = settings_with(
        tmp_path,
        BROKEFORGE_PUBLIC_URL="https://[2001:db8::10]",
        BROKEFORGE_HSTS_SECONDS="600",
        BROKEFORGE_SESSION_IDLE_MINUTES="15",
        BROKEFORGE_TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16",
    )
    assert values["ALLOWED_HOSTS"][-1] == "[2001:db8::10]"
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://[2001:db8::10]"]
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SESSION_COOKIE_AGE"] == 15 * 60
    assert values["TRUSTED_PROXIES"] == ["10.0.0.5/32", "10.1.0.0/16"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BROKEFORGE_PUBLIC_URL", "panel.example.com", "must start with https://"),
        ("BROKEFORGE_PUBLIC_URL", "https://panel.example.com/brokeforge/", "without a path"),
        ("BROKEFORGE_PUBLIC_URL", "https://admin:pw@panel.example.com", "user name or password"),
        ("BROKEFORGE_PUBLIC_URL", "https://panel.example.com:99999", "Port out of range"),
        ("BROKEFORGE_TRUSTED_PROXIES", "127.0.0.1, proxy.internal", "'proxy.internal' is not an IP"),
        ("BROKEFORGE_HSTS_SECONDS", "one year", "BROKEFORGE_HSTS_SECONDS must be a whole number"),
        ("BROKEFORGE_SESSION_IDLE_MINUTES", "0", "BROKEFORGE_SESSION_IDLE_MINUTES must be a whole number, 1"),
        ("BROKEFORGE_SESSION_IDLE_MINUTES", "-5", "must be a whole number"),
    ],
)
def test_bad_values_stop_the_panel_with_a_message(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = panel_process(tmp_path, SHOW_SETTINGS, **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_serve_refuses_plain_http_on_the_network(tmp_path: Path) -> None:
    code = "from brokeforge.cli.main import cli; cli(['serve', '--host', '0.0.0.0', '--port', '9'])"
    result = panel_process(tmp_path, code)
    assert result.returncode == 2
    assert "Refusing to serve plain HTTP on 0.0.0.0" in result.stderr
    assert "BROKEFORGE_PUBLIC_URL=https://" in result.stderr
    assert "BrokeForge panel on" not in result.stdout


@pytest.mark.parametrize(
    ("host", "public_url", "allowed", "refused"),
    [
        ("127.0.0.1", None, False, False),
        ("::1", None, False, False),
        ("localhost", None, False, False),
        (EVERY_ADDRESS, None, False, True),
        ("::", None, False, True),
        ("10.0.0.2", None, False, True),
        ("panel.internal", None, False, True),
        (EVERY_ADDRESS, "http://panel.example.com", False, True),
        (EVERY_ADDRESS, "https://panel.example.com", False, False),
        (EVERY_ADDRESS, None, True, False),
    ],
)
def test_when_plain_http_is_refused(host: str, public_url: str | None, allowed: bool, refused: bool) -> None:
    assert (plain_http_refusal(host, parse_public_url(public_url), allowed) is not None) == refused
