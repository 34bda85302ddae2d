from abc import ABC, abstractmethod
from typing import ClassVar

from brokeforge.lib.enums import CertificateKind
from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.ssl.installer import SslInstaller
from brokeforge.packages.services.sites.ssl.refresher import SslRefresher
from brokeforge.packages.services.sites.ssl.remover import SslRemover
from brokeforge.packages.services.sites.ssl.renewer import SslRenewer
from brokeforge.sites.models import Certificate, Site


class CertificateJob(SitePackageJob, ABC):
    """A job on one of a site's certificates; its argument is the Certificate row's id."""

    verb: ClassVar[str]

    def __init__(self, site: Site, certificate_id: int) -> None:
        super().__init__(site, certificate_id)
        self.certificate = Certificate.objects.get(pk=certificate_id, site=site)

    def label(self) -> str:
        assert self.site is not None
        return f"{self.verb} {self.site.domain} (certificate #{self.certificate.pk})"

    @abstractmethod
    def run(self) -> None: ...


class SslInstallerJob(CertificateJob):
    verb = "Issue a certificate for"

    def label(self) -> str:
        assert self.site is not None
        if self.certificate.kind == CertificateKind.CUSTOM:
            return f"Install an uploaded certificate on {self.site.domain} (#{self.certificate.pk})"
        return super().label()

    def run(self) -> None:
        SslInstaller(self.server, self.site).execute(self.certificate)


class SslRenewerJob(CertificateJob):
    verb = "Renew the certificate of"

    def run(self) -> None:
        SslRenewer(self.server, self.site).execute(self.certificate)


class SslRefresherJob(CertificateJob):
    verb = "Check the certificate of"

    def run(self) -> None:
        SslRefresher(self.server, self.site).execute(self.certificate)


class SslRemoverJob(CertificateJob):
    verb = "Remove the certificate of"

    def run(self) -> None:
        SslRemover(self.server, self.site).execute(self.certificate)
