"""Take a site off its server: vhost (Nginx reloaded), pool (PHP-FPM reloaded), user, home, logs;
then its rows. Each config file goes only if the service accepts the configuration without it."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from brokeforge.lib.enums import CertificateStatus, PackageName, PackageType
from brokeforge.packages.base import PackageRemover, Step
from brokeforge.packages.base.shell import remove_config
from brokeforge.packages.services.brokeforge_user.installer import SITES_GROUP
from brokeforge.packages.services.nginx.installer import NGINX_CONFIG
from brokeforge.packages.services.php.installer import fpm_config
from brokeforge.packages.services.sites.site.installer import SiteSystemPackage, site_script
from brokeforge.packages.services.sites.site.milestones import SiteRemoverMilestones as M
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.sites.ssl import certbot
from brokeforge.sites.models import Certificate


class SiteRemover(PackageRemover, SiteSystemPackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self) -> None:
        assert self.site is not None
        # Those that may have files on the server; the replaced and removed ones have none left.
        gone = [CertificateStatus.REPLACED, CertificateStatus.REMOVED]
        certificates = list(self.site.certificates.exclude(status__in=gone).order_by("pk"))
        self.remove(self.commands(SiteSpec.of(self.site), certificates), instance="")
        # Only once the server is clean: its events and inventory rows go with it, the journal
        # keeps the job under the site's domain. A failed removal keeps the record to retry from.
        self.site.delete()

    def commands(self, spec: SiteSpec, certificates: Sequence[Certificate] = ()) -> list[Step]:
        return [
            self.track(M.REMOVE_NGINX),
            remove_config(spec.vhost, NGINX_CONFIG),
            # Its certificates' files, and certbot's renewals of them, go with the site.
            *(certbot.files_removed(certificate) for certificate in certificates),
            f"rm -rf -- {shlex.quote(spec.include_dir)}",
            self.track(M.REMOVE_PHP),
            *([remove_config(spec.pool, fpm_config(spec.php_version))] if spec.php_version else []),
            self.track(M.REMOVE_USER),
            site_script("sites/remove-user.sh.j2", spec, sites_group=SITES_GROUP),
            self.forget(),
            self.track(M.COMPLETE),
        ]
