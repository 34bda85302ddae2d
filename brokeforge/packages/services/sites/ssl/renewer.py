"""Renew a site's ACME certificate now, as certbot's timer would (its deploy hook checks and
reloads Nginx), then check port 443 serves the renewed one. The timer renews by itself; this is
for a user who will not wait, and for a renewal that failed."""

from __future__ import annotations

from django.utils import timezone

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.lib.redact import redact
from brokeforge.packages.base import Command, PackageInstaller, Step
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.sites.ssl import certbot
from brokeforge.packages.services.sites.ssl.installer import SslPackage, certbot_succeeded, check_served
from brokeforge.packages.services.sites.ssl.milestones import SslRenewerMilestones as M
from brokeforge.sites.models import Certificate


class SslRenewer(PackageInstaller, SslPackage):
    def package_name(self) -> PackageName:
        return PackageName.SSL_RENEW

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, certificate: Certificate) -> None:
        assert self.site is not None
        certificate = self.served_now(certificate)
        try:
            self.install(self.commands(SiteSpec.of(self.site), certificate))
        except Exception as exc:
            error = redact(str(exc) or type(exc).__name__, self.secrets)
            Certificate.objects.filter(pk=certificate.pk).update(
                renewal_error=error, updated_at=timezone.now()
            )
            raise

    def commands(self, spec: SiteSpec, certificate: Certificate) -> list[Step]:
        return [
            self.track(M.PREPARE),
            *certbot.renewal_setup(self.ca_bundle()),
            self.track(M.RENEW),
            Command(
                certbot.renew(certificate),
                timeout=certbot.ISSUE_TIMEOUT_SECONDS,
                check=False,
                on_result=certbot_succeeded,
            ),
            self.track(M.VERIFY),
            self.read(certificate, spec, wait_served=True, check=lambda reading: check_served(reading, spec)),
            self.track(M.COMPLETE),
        ]
