"""brokeforge/lib/templates.py and the templates under brokeforge/packages/templates/."""

import shlex
import subprocess

import pytest
from jinja2 import UndefinedError

from brokeforge.lib.templates import environment, render
from brokeforge.packages.base.lease import LEASE_DIR
from brokeforge.packages.services.brokeforge_user.installer import (
    ROOT_COMMANDS,
    SITES_GROUP,
    authorize_script,
)
from brokeforge.packages.services.system.installer import APT_WAIT_SECONDS, SWAP_MB, SWAPPINESS

SHELL_TEMPLATES = {
    "system/wait-for-apt.sh.j2": {"seconds": APT_WAIT_SECONDS},
    "system/swap.sh.j2": {"size_mb": SWAP_MB, "swappiness": SWAPPINESS},
    "users/authorize.sh.j2": {
        "user": "brokeforge",
        "root_key": "ssh-ed25519 AAAA r",
        "user_key": "ssh-ed25519 B u",
        "sites_group": SITES_GROUP,
        "root_commands": ROOT_COMMANDS,
        "lease_dir": LEASE_DIR,
    },
}


def syntax_error(shell: str, script: str) -> str:
    """What `<shell> -n` says about the script; empty when the syntax is valid."""
    result = subprocess.run([shell, "-n"], input=script, capture_output=True, text=True, timeout=10)
    return result.stderr if result.returncode else ""


def test_a_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError, match="php_version"):
        render("nginx/default-site.conf.j2", document_root="/var/www/default/public")


def test_shquote_filter() -> None:
    template = environment().from_string("echo {{ value | shquote }}")
    assert template.render(value="it's $(here)") == "echo 'it'\"'\"'s $(here)'"
    assert template.render(value=8080) == "echo 8080"


def test_config_files_are_not_html_escaped() -> None:
    site = render("nginx/default-site.conf.j2", document_root="/srv/a&b<c>", php_version="8.2")
    assert "    root /srv/a&b<c>;\n" in site
    assert "fastcgi_pass unix:/run/php/php8.2-fpm.sock;" in site


def test_trailing_newline_is_kept() -> None:
    assert render("nginx/default-site.conf.j2", document_root="/x", php_version="8.2").endswith("}\n")


def test_the_default_page_escapes_the_server_name() -> None:
    page = render("nginx/default-page.html.j2", server_name='<script>"x"&</script>', php_version="8.2")
    assert "<script>" not in page
    assert "<title>&lt;script&gt;&#34;x&#34;&amp;&lt;/script&gt;</title>" in page


@pytest.mark.parametrize(("name", "context"), SHELL_TEMPLATES.items())
@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_shell_templates_are_valid_shell(shell: str, name: str, context: dict[str, object]) -> None:
    assert syntax_error(shell, render(name, **context)) == ""


@pytest.mark.parametrize(("name", "context"), SHELL_TEMPLATES.items())
def test_shell_templates_stop_at_the_first_failure(name: str, context: dict[str, object]) -> None:
    # Without -e a failed mkswap/swapon or dpkg run is reported as success by the last echo.
    lines = render(name, **context).splitlines()
    first_command = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    assert lines[first_command] == "set -eu"


ODD_KEYS = [
    ("ssh-ed25519 AAAAC3Nz root@host", "ssh-ed25519 AAAAC3Nz brokeforge@host"),
    ("ssh-ed25519 AAAA it's $(reboot) `id`", 'ssh-ed25519 BBBB "quoted" ; rm -rf / #'),
]


@pytest.mark.parametrize(("root_key", "user_key"), ODD_KEYS)
@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_authorize_script_quotes_both_keys(shell: str, root_key: str, user_key: str) -> None:
    script = authorize_script(root_key, user_key)
    assert syntax_error(shell, script) == ""
    assert f"add_key /root {shlex.quote(root_key)} root\n" in script
    assert f"{shlex.quote(user_key)} brokeforge\n" in script
