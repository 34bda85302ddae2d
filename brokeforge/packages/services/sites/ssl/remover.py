"""Take a site's certificate away: the vhost goes back to plain HTTP (checked by `nginx -t`,
restored if refused), force-HTTPS and HSTS off with it, then the certificate's files go (and for
ACME its renewal). The site answers over HTTP before its certificate is gone."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from brokeforge.lib.enums import CertificateStatus, PackageName, PackageType
from brokeforge.packages.base import PackageRemover, Step
from brokeforge.packages.services.sites.site.installer import answers, vhost
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.sites.ssl import certbot
from brokeforge.packages.services.sites.ssl.installer import SslPackage
from brokeforge.packages.services.sites.ssl.milestones import SslRemoverMilestones as M
from brokeforge.sites.models import Certificate, Site


class SslRemover(PackageRemover, SslPackage):
    def package_name(self) -> PackageName:
        return PackageName.SSL

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, certificate: Certificate) -> None:
        assert self.site is not None
        certificate = self.served_now(certificate)
        self.remove(self.commands(SiteSpec.of(self.site), certificate))

    def commands(self, spec: SiteSpec, certificate: Certificate) -> list[Step]:
        plain = spec.with_tls(None)
        return [
            self.track(M.CONFIGURE_NGINX),
            vhost(plain),
            self.panel("Record the site as served over plain HTTP", lambda: _removed(certificate)),
            self.track(M.REMOVE_FILES),
            certbot.files_removed(certificate),
            self.track(M.VERIFY),
            *answers(plain),
            self.track(M.COMPLETE),
        ]


def _removed(certificate: Certificate) -> None:
    now = timezone.now()
    with transaction.atomic():
        gone = Certificate.objects.filter(pk=certificate.pk)
        gone.update(status=CertificateStatus.REMOVED, private_key="", updated_at=now)
        Site.objects.filter(pk=certificate.site_id).update(force_https=False, hsts_max_age=0, updated_at=now)
