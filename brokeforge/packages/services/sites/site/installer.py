"""A site on a server: its own Linux user and home, a PHP-FPM pool running as that user (PHP
sites), and an Nginx vhost from its type's template. Every pool and vhost is checked by the
service before a reload, and the previous file restored if the check fails (apply_config)."""

from __future__ import annotations

import shlex
from typing import ClassVar

from brokeforge.lib.enums import CredentialType, PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.base.shell import apply_config
from brokeforge.packages.services.brokeforge_user.installer import SITES_GROUP
from brokeforge.packages.services.nginx.installer import NGINX_CONFIG
from brokeforge.packages.services.php.installer import fpm_config
from brokeforge.packages.services.sites.site.milestones import SiteInstallerMilestones as M
from brokeforge.packages.services.sites.site.spec import (
    CATCH_ALL,
    INITIAL_RELEASE,
    WEB_SERVER_GROUP,
    SiteSpec,
)

# `current` links relatively, so the site's directory means the same whatever path reaches it.
INITIAL_RELEASE_LINK = f"releases/{INITIAL_RELEASE}"


class SiteSystemPackage(SitePackage):
    """Marker: a site package that changes the system around the site (its user, pool, vhost),
    so it runs as root, as the design's credentials say; site packages that act inside a site
    run as brokeforge and reach the site user through sudo."""

    default_credential: ClassVar[CredentialType] = CredentialType.ROOT


class SiteInstaller(PackageInstaller, SiteSystemPackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self) -> None:
        assert self.site is not None
        self.install(self.commands(SiteSpec.of(self.site)), instance="")

    def commands(self, spec: SiteSpec) -> list[Step]:
        include = shlex.quote(spec.include_dir)
        initial_root = f"{spec.initial_release}/{spec.web_directory}".rstrip("/")
        # dict.fromkeys: a site without a web directory serves the release itself.
        dirs = [spec.path, spec.releases_dir, spec.shared_dir, spec.initial_release, initial_root]
        site_dirs, current = quoted(*dict.fromkeys(dirs)), shlex.quote(spec.current)
        return [
            self.track(M.CREATE_USER),
            site_script("sites/create-user.sh.j2", spec, sites_group=SITES_GROUP, web_group=WEB_SERVER_GROUP),
            self.track(M.CREATE_DIRECTORIES),
            # As the site user, inside its own home: root never follows a path the site could
            # have turned into a symlink.
            Command(
                f"mkdir -p {site_dirs} && chmod 0755 {site_dirs} "
                f"&& mkdir -p -m 0700 {quoted(spec.tmp_dir, spec.log_dir)} "
                # Never moved once it exists: a deployed site keeps its live release.
                f"&& {{ [ -L {current} ] || ln -s {INITIAL_RELEASE_LINK} {current}; }}",
                site_user=spec.user,
            ),
            *placeholder(spec),
            self.track(M.CONFIGURE_PHP),
            *pool(spec),
            self.track(M.CONFIGURE_NGINX),
            f"install -d -m 0755 {include}/before {include}/server",
            apply_config(CATCH_ALL, render("sites/nginx/catch-all.conf.j2"), NGINX_CONFIG),
            vhost(spec),
            self.track(M.VERIFY),
            *answers(spec),
            self.persist("", spec.configuration()),
            self.track(M.COMPLETE),
        ]


# The steps that make a site's system side from its spec: shared by the installer and the
# updater (updater.py), which regenerates them when the site's settings change.


def placeholder(spec: SiteSpec) -> list[Step]:
    """A page so the site answers at once; never over an index the site already has."""
    if not spec.serves_files:
        return []
    page = render("sites/placeholder.html.j2", domain=spec.domain, root=spec.root)
    return [
        Command(
            "if [ -e index.php ] || [ -e index.html ]; then echo 'The site has an index page already.'; "
            "else umask 022 && cat > index.html; fi",
            site_user=spec.user,
            cwd=spec.root,
            stdin=page,
        )
    ]


def pool(spec: SiteSpec) -> list[Step]:
    """The site's PHP-FPM pool under its PHP version, checked by that version's FPM (PHP sites)."""
    if spec.php_version is None:
        return []
    content = render("sites/php-fpm-pool.conf.j2", spec=spec, web_group=WEB_SERVER_GROUP)
    return [apply_config(spec.pool, content, fpm_config(spec.php_version))]


def vhost(spec: SiteSpec) -> Command:
    """The site's Nginx vhost from its type's template, checked by `nginx -t`."""
    return apply_config(spec.vhost, render(f"sites/nginx/{_template(spec)}.conf.j2", spec=spec), NGINX_CONFIG)


def answers(spec: SiteSpec) -> list[Step]:
    """Fail unless Nginx serves the site under its canonical name."""
    if not spec.serves_files:
        return []  # a proxy site answers once its application listens; that is not ours to start
    host = shlex.quote(f"Host: {spec.canonical}")
    return [f"curl -fsS -o /dev/null -w '%{{http_code}}\\n' -H {host} http://127.0.0.1/"]


def quoted(*paths: str) -> str:
    return " ".join(shlex.quote(path) for path in paths)


def _template(spec: SiteSpec) -> str:
    return "php" if spec.site_type.runs_php else spec.site_type.value


def site_script(template: str, spec: SiteSpec, **context: object) -> str:
    """A script template run in its own shell: its `set -e` and `exit` stay inside."""
    script = render(
        template,
        user=spec.user,
        home=spec.home,
        tmp_dir=spec.tmp_dir,
        log_dir=spec.log_dir,
        logs=[spec.nginx_log("access"), spec.nginx_log("error")],
        **context,
    )
    return f"sh -c {shlex.quote(script)}"
