"""SiteUpdater and update_site: a site's settings change on the server first (pool and vhost checked,
rolled back when refused; a PHP version change moves the pool without a moment the site cannot
answer), and only then in the panel's record; its domain and type never change."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from brokeforge.actions import ActionError
from brokeforge.actions import sites as site_actions
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.packages.base import Command
from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.services.sites.site.jobs import SiteUpdaterJob
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.sites.site.updater import SiteUpdater
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import ServerSitePackage, Site
from brokeforge.ssh import CommandFailed, CommandResult
from tests.unit.helpers import TableRunner, describe, expected
from tests.unit.installer_cases import CASES, PHP_SITE, STATIC_SITE, build


@pytest.mark.parametrize("case", CASES["site_update"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site_update", case)) == expected("site_update")[case]


def _lines(unsaved_server: Server, case: str) -> list[str]:
    return describe(build(unsaved_server, "site_update", case))


def _index(lines: list[str], text: str) -> int:
    return next(i for i, line in enumerate(lines) if text in line)


def test_a_php_version_change_never_leaves_the_site_without_a_pool(unsaved_server: Server) -> None:
    lines = _lines(unsaved_server, "php 8.2 to 8.4, an alias more")
    new_pool = _index(lines, "put a new /etc/php/8.4/fpm/pool.d/shop_example_com.conf in place")
    socket = _index(lines, "[ -S /run/php/php8.4-fpm-shop_example_com.sock ]")
    vhost = _index(lines, "put a new /etc/nginx/sites-enabled/shop.example.com.conf in place")
    old_pool = _index(lines, "take /etc/php/8.2/fpm/pool.d/shop_example_com.conf away")
    assert new_pool < socket < vhost < old_pool < _index(lines, "curl -fsS")
    assert "fastcgi_pass unix:/run/php/php8.4-fpm-shop_example_com.sock;" in lines[vhost]
    assert "server_name shop.example.com shop.example.org a.test;" in lines[vhost]
    assert "php-fpm8.4 -t" in lines[new_pool] and "php-fpm8.2 -t" in lines[old_pool]
    assert lines.index("panel: Record the site's new settings") > _index(lines, "curl -fsS")


def test_without_a_version_change_the_pool_is_regenerated_in_place(unsaved_server: Server) -> None:
    updater = SiteUpdater(unsaved_server, Site(**PHP_SITE.model_fields()))
    lines = describe(updater.commands(PHP_SITE, PHP_SITE.updated({"redirect": "none"})))
    assert "put a new /etc/php/8.2/fpm/pool.d/shop_example_com.conf in place" in "\n".join(lines)
    assert not any("away" in line or "[ -S" in line or "mkdir" in line for line in lines)


def test_a_new_web_directory_is_made_in_the_live_release_as_the_site_user(unsaved_server: Server) -> None:
    steps = build(unsaved_server, "site_update", "static: web directory and redirect")
    as_site_user = [s for s in steps if isinstance(s, Command) and s.site_user]
    assert [s.site_user for s in as_site_user] == ["docs_example_com", "docs_example_com"]
    assert as_site_user[0].script == "mkdir -p /home/docs_example_com/docs.example.com/current/public"
    vhost = next(line for line in describe(steps) if "sites-enabled/docs.example.com.conf" in line)
    assert "root /home/docs_example_com/docs.example.com/current/public;" in vhost
    assert "server_name www.docs.example.com;" in vhost  # the redirect's own server block


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"domain": "other.example.com"}, "A site's domain cannot change"),
        ({"site_type": "static", "domain": "x.example.com"}, "A site's domain and type cannot change"),
        ({"root": "/"}, "Unknown site settings: root"),
        ({"php_version": "7.4"}, "Unsupported PHP version"),
        ({"proxy_port": 3000}, "Only a proxy site has a proxy port"),
        ({"web_directory": "../x"}, "Web directory"),
        ({"aliases": ["www.shop.example.com"]}, "every name (domain, aliases, redirect) must be different"),
    ],
)
def test_what_cannot_change_is_refused_with_a_reason(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        PHP_SITE.updated(changes)


def test_only_the_settings_that_differ_are_changes() -> None:
    wanted = STATIC_SITE.updated({"web_directory": "site/dist", "redirect": "www-to-apex", "aliases": []})
    assert STATIC_SITE.changes(wanted) == {"redirect": "www-to-apex"}
    assert STATIC_SITE.changes(STATIC_SITE) == {}


# -- running it --------------------------------------------------------------------------------


class _Server(TableRunner):
    """Every command succeeds, but the ones whose line holds `fails`."""

    def __init__(self, fails: str = "\0") -> None:
        super().__init__({})
        self.fails = fails

    def command(self, server: Server, command: Command, default_credential: Any) -> CommandResult:
        line = command.remote_script()
        self.commands.append(line)
        if self.fails in line:
            raise CommandFailed("the vhost", 1, 'nginx: [emerg] unknown directive "not_a_directive"')
        return CommandResult(0, "", "")


@pytest.fixture
def site(server: Server) -> Site:
    site = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    ServerSitePackage.objects.create(
        server=server, site=site, service_type=PackageType.SITE, service_name=PackageName.SITE,
        instance="", status=PackageStatus.INSTALLED, configuration=PHP_SITE.configuration(),
    )  # fmt: skip
    return site


def _update(site: Site, changes: dict[str, Any], runner: _Server) -> None:
    token = current_runner.set(runner)
    try:
        SiteUpdaterJob(site, json.dumps(changes)).handle()
    finally:
        current_runner.reset(token)


def test_the_record_changes_once_the_server_has_the_new_settings(site: Site) -> None:
    _update(site, {"aliases": ["shop.example.org", "b.example.org"], "web_directory": "web"}, _Server())
    site.refresh_from_db()
    assert (site.aliases, site.web_directory, site.status) == (
        ["shop.example.org", "b.example.org"],
        "web",
        "active",
    )
    row = site.packages.get(service_name=PackageName.SITE)
    assert row.configuration["root"] == "/home/shop_example_com/shop.example.com/current/web"
    assert row.status == PackageStatus.INSTALLED


def test_a_change_the_server_refuses_leaves_the_record_as_it_was(site: Site) -> None:
    with pytest.raises(CommandFailed, match="unknown directive"):
        _update(site, {"web_directory": "web"}, _Server(fails="sites-enabled/shop.example.com.conf"))
    site.refresh_from_db()
    assert (site.web_directory, site.status) == ("public", "active")  # what the server still serves
    row = site.packages.get(service_name=PackageName.SITE)
    assert (row.status, row.configuration["root"]) == (
        PackageStatus.INSTALLED,
        PHP_SITE.configuration()["root"],
    )


def test_a_name_taken_while_the_update_waited_stops_it_before_any_change(site: Site) -> None:
    Site.objects.create(
        server=site.server, domain="b.example.org", system_user="b_example_org", site_type="static"
    )
    runner = _Server()
    taken = "b.example.org is already a name of b.example.org on web-1"
    with pytest.raises(ValueError, match=re.escape(taken)):
        _update(site, {"aliases": ["b.example.org"]}, runner)
    assert runner.commands == []
    site.refresh_from_db()
    assert site.aliases == ["shop.example.org"]


# -- the action --------------------------------------------------------------------------------


@pytest.fixture
def ready(site: Site) -> Site:
    for name, kind, instance in [
        (PackageName.NGINX, PackageType.WEBSERVER, ""),
        (PackageName.PHP, PackageType.PHP, "8.2"),
    ]:
        ServerPackage.objects.create(
            server=site.server, package_type=kind, package_name=name, instance=instance,
            status=PackageStatus.INSTALLED,
        )  # fmt: skip
    return site


def test_only_the_differences_are_queued_and_the_record_waits_for_the_job(ready: Site) -> None:
    job = site_actions.update_site(
        ready, ready.server.owner, aliases=["shop.example.org", "x.example.org"], web_directory="public",
        php_version="8.2", redirect="none", proxy_port=None,
    )  # fmt: skip
    assert json.loads(job.arguments[0]) == {
        "aliases": ["shop.example.org", "x.example.org"],
        "redirect": "none",
    }
    assert job.label == "Update the settings of shop.example.com: aliases, redirect"
    ready.refresh_from_db()
    assert (ready.aliases, ready.redirect) == (["shop.example.org"], "www-to-apex")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect": "www-to-apex"}, "Nothing to change"),
        ({"php_version": "8.4"}, "PHP 8.4 is not installed on web-1"),
        ({"domain": "new.example.com"}, "domain cannot change"),
        ({"aliases": ["taken.example.com"]}, "taken.example.com is already a name of taken.example.com"),
        ({"redirect": "none", "aliases": ["www.taken.example.com"]}, "already a name of taken.example.com"),
    ],
)
def test_refused_changes_queue_nothing(ready: Site, changes: dict[str, Any], error: str) -> None:
    Site.objects.create(
        server=ready.server, domain="taken.example.com", system_user="taken_example_com", site_type="static",
        redirect="apex-to-www",
    )  # fmt: skip
    with pytest.raises(ActionError, match=re.escape(error)):
        site_actions.update_site(ready, **changes)
    assert not Job.objects.exists()


def test_a_site_that_is_not_active_cannot_change(ready: Site) -> None:
    Site.objects.filter(pk=ready.pk).update(status="installing")
    ready.refresh_from_db()
    with pytest.raises(ActionError, match=re.escape("shop.example.com is installing: only an active site")):
        site_actions.update_site(ready, aliases=[])


def test_a_spec_built_from_the_row_keeps_what_the_row_says() -> None:
    assert SiteSpec.of(Site(**PHP_SITE.model_fields())) == PHP_SITE
