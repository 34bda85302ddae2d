"""SiteInstaller / SiteRemover: the exact steps per site type (data/site.json, data/site_remover.json),
and what those steps promise: PHP only for PHP sites, files written as the site user, every config
change checked before a reload."""

from __future__ import annotations

import pytest

from brokeforge.lib.enums import CredentialType
from brokeforge.packages.base import Command
from brokeforge.packages.services.sites.site.installer import SiteInstaller
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, PHP_SITE, PROXY_SITE, STATIC_SITE, build


@pytest.mark.parametrize("case", CASES["site"])
def test_installer_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site", case)) == expected("site")[case]


@pytest.mark.parametrize("case", CASES["site_remover"])
def test_remover_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site_remover", case)) == expected("site_remover")[case]


def test_the_system_side_runs_as_root_and_the_site_files_as_the_site_user(unsaved_server: Server) -> None:
    installer = SiteInstaller(unsaved_server, Site(server=unsaved_server, **PHP_SITE.model_fields()))
    assert installer.credential_type() == CredentialType.ROOT
    as_site_user = [s for s in installer.commands(PHP_SITE) if isinstance(s, Command) and s.site_user]
    assert [s.site_user for s in as_site_user] == [
        "shop_example_com",
        "shop_example_com",
    ]  # dirs, placeholder
    assert all("mkdir" in s.script or "index.html" in s.script for s in as_site_user)


def test_only_php_sites_get_a_pool_and_only_sites_with_files_a_placeholder(unsaved_server: Server) -> None:
    def lines(spec_case: str) -> str:
        return "\n".join(describe(build(unsaved_server, "site", spec_case)))

    assert "php-fpm8.2 -t" in lines("php, an alias, www to apex")
    assert "php-fpm" not in lines("static in site/dist") and "php-fpm" not in lines("proxy to port 3000")
    assert "index.html" in lines("static in site/dist") and "index.html" not in lines("proxy to port 3000")
    assert "proxy_pass http://127.0.0.1:3000;" in lines("proxy to port 3000")
    assert STATIC_SITE.root == "/home/docs_example_com/docs.example.com/current/site/dist"
    assert not PROXY_SITE.serves_files


def test_every_vhost_and_pool_write_is_checked_then_reloaded(unsaved_server: Server) -> None:
    steps = describe(build(unsaved_server, "site", "php, an alias, www to apex"))
    config_writes = [s for s in steps if "/etc/" in s and "<<stdin" in s]
    assert len(config_writes) == 3  # the pool, the catch-all, the vhost
    for step in config_writes:
        assert step.index(" -t; } 2>&1") < step.index("systemctl reload") < step.index("<<stdin")
    assert not any("restart" in step for step in steps)
