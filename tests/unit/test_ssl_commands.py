"""The SSL packages' steps from data (data/ssl*.json), and what they promise: the key travels on
stdin only and lands 0600; every vhost change is checked by `nginx -t` before a reload; the site
keeps serving its old certificate until the new one's vhost is in place; certbot's command is
built from checked values only."""

from __future__ import annotations

import pytest

from brokeforge.packages.base import Command
from brokeforge.packages.base.manager import PanelStep
from brokeforge.packages.services.sites.ssl import certbot
from brokeforge.servers.models import Server
from brokeforge.sites.models import Certificate, Site
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import ACME_CERTIFICATE, CASES, UPLOADED_CERTIFICATE, build

PACKAGES = ["ssl", "ssl_renew", "ssl_refresh", "ssl_remover"]


@pytest.mark.parametrize(("name", "case"), [(name, case) for name in PACKAGES for case in CASES[name]])
def test_commands(unsaved_server: Server, name: str, case: str) -> None:
    assert describe(build(unsaved_server, name, case)) == expected(name)[case]


def _commands(server: Server, case: str) -> list[Command]:
    return [step for step in build(server, "ssl", case) if isinstance(step, Command)]


def test_the_uploaded_key_is_only_on_stdin_and_written_0600(unsaved_server: Server) -> None:
    commands = _commands(unsaved_server, "an upload in place of the acme certificate, https forced")
    key = UPLOADED_CERTIFICATE.private_key
    assert all(key not in command.remote_script() for command in commands)
    (written,) = [command for command in commands if command.stdin == key]
    assert "chmod 0600" in written.script and written.script.endswith("/privkey.pem")


def test_every_vhost_change_is_checked_before_the_reload(unsaved_server: Server) -> None:
    for case in CASES["ssl"]:
        vhosts = [
            c for c in _commands(unsaved_server, case) if "sites-enabled/shop.example.com.conf" in c.script
        ]
        assert len(vhosts) == 2  # as it is (the challenge location), then serving the certificate
        assert all("nginx -t" in command.script for command in vhosts)


def test_the_old_certificate_goes_only_after_the_new_one_is_in_the_vhost(unsaved_server: Server) -> None:
    steps = describe(build(unsaved_server, "ssl", "an upload in place of the acme certificate, https forced"))
    serving = max(i for i, step in enumerate(steps) if "ssl_certificate /etc/brokeforge/ssl/" in step)
    recorded = steps.index("panel: Record it as the certificate the site serves")
    removed = next(i for i, step in enumerate(steps) if "certbot delete" in step)
    assert serving < recorded < removed


def test_a_first_certificate_removes_nothing(unsaved_server: Server) -> None:
    steps = describe(build(unsaved_server, "ssl", "acme, every name of the site"))
    assert not any("certbot delete" in step or "rm -rf" in step for step in steps)


def test_the_challenge_directory_certbot_writes_is_the_one_every_vhost_serves(unsaved_server: Server) -> None:
    steps = describe(build(unsaved_server, "ssl", "acme, every name of the site"))
    (issue,) = [step for step in steps if "certbot certonly" in step]
    assert f"--webroot -w {certbot.ACME_CHALLENGE_ROOT} " in issue
    vhost = next(step for step in steps if "sites-enabled/shop.example.com.conf" in step)
    assert f"root {certbot.ACME_CHALLENGE_ROOT};" in vhost


def test_uploads_are_installed_without_certbot(unsaved_server: Server) -> None:
    steps = describe(build(unsaved_server, "ssl", "an upload in place of the acme certificate, https forced"))
    first_vhost = next(i for i, step in enumerate(steps) if "nginx -t" in step)
    commands = [step for step in steps[:first_vhost] if not step.startswith("panel: ")]
    assert not any("certbot" in step for step in commands)


@pytest.mark.parametrize(
    ("email", "valid"),
    [("ops@example.com", True), ("a+b@mail.example.org", True), ("x@y", False),
     ("ops@example.com; rm -rf /", False), ("$(id)@example.com", False), ("a b@example.com", False)],
)  # fmt: skip
def test_emails_are_checked_before_they_reach_certbot(email: str, valid: bool) -> None:
    if valid:
        assert certbot.email(email) == email
    else:
        with pytest.raises(ValueError, match="not an email address"):
            certbot.email(email)


@pytest.mark.parametrize("url", ["http://acme.example/dir", "https://", "https://a b/dir", "ftp://x/dir"])
def test_an_acme_directory_must_be_https(url: str) -> None:
    with pytest.raises(ValueError, match="https URL"):
        certbot.directory_url(url)


def test_a_certificate_name_that_could_reach_a_shell_is_refused() -> None:
    site = Site(domain="shop.example.com; rm -rf /", system_user="shop")
    with pytest.raises(ValueError, match="Invalid certificate name"):
        certbot.lineage(Certificate(pk=3, site=site, kind="acme"))
    assert certbot.lineage(ACME_CERTIFICATE) == "shop.example.com-7"


CERTBOT_REFUSED = """\
Saving debug log to /var/log/letsencrypt/letsencrypt.log
Requesting a certificate for late.test

Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority \
reported these problems:
  Domain: late.test
  Type:   dns
  Detail: DNS problem: NXDOMAIN looking up A for late.test

Hint: The Certificate Authority failed to download the temporary challenge files created by Certbot.

Some challenges have failed.
Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile for details.
"""


def test_the_acme_servers_problems_are_what_a_failure_keeps() -> None:
    error = certbot.acme_error(CERTBOT_REFUSED)
    assert error.splitlines() == [
        "Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority "
        "reported these problems:",
        "  Domain: late.test",
        "  Type:   dns",
        "  Detail: DNS problem: NXDOMAIN looking up A for late.test",
    ]


def test_without_reported_problems_certbots_last_error_lines_are_kept() -> None:
    output = "Saving debug log to /x\nAn error occurred:\nConnection refused to https://acme.example/dir\n"
    assert certbot.acme_error(output) == "An error occurred:\nConnection refused to https://acme.example/dir"
    assert certbot.acme_error("") == "certbot failed without saying why."


def test_the_remover_returns_to_plain_http_before_the_files_go(unsaved_server: Server) -> None:
    steps = build(unsaved_server, "ssl_remover", "https forced, hsts")
    texts = describe(steps)
    vhost = next(i for i, text in enumerate(texts) if "sites-enabled" in text)
    assert "listen 443" not in texts[vhost] and "return 301 https" not in texts[vhost]
    removed = next(i for i, text in enumerate(texts) if "certbot delete" in text)
    assert vhost < removed
    assert any(
        isinstance(step, PanelStep) and "plain HTTP" in step.description for step in steps[vhost:removed]
    )
