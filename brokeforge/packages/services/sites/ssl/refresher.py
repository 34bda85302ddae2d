"""Read a site's certificate again: the file on the server, what port 443 serves, and what
certbot's renewals left. Changes nothing on the server."""

from __future__ import annotations

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import PackageInstaller, Step
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.sites.ssl.installer import SslPackage
from brokeforge.packages.services.sites.ssl.milestones import SslRefresherMilestones as M
from brokeforge.sites.models import Certificate


class SslRefresher(PackageInstaller, SslPackage):
    def package_name(self) -> PackageName:
        return PackageName.SSL_REFRESH

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, certificate: Certificate) -> None:
        assert self.site is not None
        certificate = self.served_now(certificate)
        self.install(self.commands(SiteSpec.of(self.site), certificate))

    def commands(self, spec: SiteSpec, certificate: Certificate) -> list[Step]:
        return [self.track(M.READ), self.read(certificate, spec), self.track(M.COMPLETE)]
