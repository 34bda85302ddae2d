"""Change a site's settings on its server: aliases, web directory, PHP version, proxy port, redirect.

The pool and the vhost are regenerated through apply_config, so a configuration the service
refuses is rolled back and nothing is reloaded. A PHP version change brings the pool up under
the new version (and waits for its socket) before the vhost points at it, and only then takes
the old version's pool away: the site answers at every moment.

The Site row keeps the settings the server runs until the server runs the new ones: the wanted
settings travel as the job's argument and the row takes them in the job's last step. So the
panel never shows a setting the server does not have, whether the job fails, waits or is retried.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Command, PackageInstaller, Step
from brokeforge.packages.base.shell import remove_config
from brokeforge.packages.services.php.installer import fpm_config
from brokeforge.packages.services.sites.site.installer import (
    SiteSystemPackage,
    answers,
    placeholder,
    pool,
    vhost,
)
from brokeforge.packages.services.sites.site.milestones import SiteUpdaterMilestones as M
from brokeforge.packages.services.sites.site.spec import SiteSpec, check_names_free
from brokeforge.sites.models import Site

# The inventory row an update changes the configuration of: the site's own.
SITE_KIND = (PackageType.SITE.value, PackageName.SITE.value)
# How long a reloaded FPM may take to open a new pool's socket.
SOCKET_WAIT_SECONDS = 10


class SiteUpdater(PackageInstaller, SiteSystemPackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE_UPDATE

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, changes: Mapping[str, Any]) -> None:
        assert self.site is not None
        current = SiteSpec.of(self.site)
        # No inventory row of its own to mark: a failed update leaves the site serving its
        # previous settings, which the site's row still says.
        self.install(self.commands(current, current.updated(changes)))

    def commands(self, current: SiteSpec, wanted: SiteSpec) -> list[Step]:
        php_moves = current.php_version != wanted.php_version
        return [
            self.track(M.CHECK_NAMES),
            self.panel(f"Check the site's names are free on {self.server.name}", lambda: self._check(wanted)),
            self.track(M.CONFIGURE_PHP),
            *pool(wanted),
            *(_socket_ready(wanted) if php_moves else []),
            self.track(M.CONFIGURE_NGINX),
            *(_web_root(wanted) if wanted.web_directory != current.web_directory else []),
            vhost(wanted),
            self.track(M.REMOVE_OLD_POOL),
            *(_old_pool_removed(current) if php_moves else []),
            self.track(M.VERIFY),
            *answers(wanted),
            self.panel("Record the site's new settings", lambda: self._record(wanted)),
            self.track(M.COMPLETE),
        ]

    def _check(self, wanted: SiteSpec) -> None:
        """Names another site took while this update waited in the queue stay that site's."""
        assert self.site is not None
        others = Site.objects.filter(server_id=self.site.server_id).exclude(pk=self.site.pk)
        check_names_free(wanted, others, self.server.name)

    def _record(self, wanted: SiteSpec) -> None:
        assert self.site is not None
        with transaction.atomic():
            Site.objects.filter(pk=self.site.pk).update(**wanted.model_fields(), updated_at=timezone.now())
            self.records().rows(SITE_KIND, "").update(configuration=wanted.configuration())


def _socket_ready(spec: SiteSpec) -> list[Step]:
    """A reload only signals FPM: wait until the new pool listens before Nginx is sent there."""
    socket = shlex.quote(spec.socket)
    tries = SOCKET_WAIT_SECONDS * 10
    script = (
        f"for i in $(seq 1 {tries}); do [ -S {socket} ] && exit 0; sleep 0.1; done; "
        f"echo {socket} did not appear within {SOCKET_WAIT_SECONDS}s >&2; exit 1"
    )
    return [f"sh -c {shlex.quote(script)}"]


def _web_root(spec: SiteSpec) -> list[Step]:
    """A new web directory exists in the live release (as the site user), with a page to serve
    unless it has an index of its own."""
    return [Command(f"mkdir -p {shlex.quote(spec.root)}", site_user=spec.user), *placeholder(spec)]


def _old_pool_removed(spec: SiteSpec) -> list[Step]:
    if spec.php_version is None:
        return []
    return [remove_config(spec.pool, fpm_config(spec.php_version))]
