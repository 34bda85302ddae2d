"""Put a certificate into service on a site: obtained over ACME HTTP-01 (certbot --webroot, the
challenge answered by the site's own vhost) or uploaded (files written 0600 through stdin); read
back from the server; the vhost gains its 443 server through apply_config (`nginx -t`, reload,
the previous vhost restored if refused); then port 443 is checked to serve it.

The certificate a site served before stays served until the new one is checked and in place:
a failed issuance changes nothing the site serves, and keeps the ACME server's error."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from brokeforge.lib.enums import CertificateKind, CertificateStatus, PackageName, PackageType
from brokeforge.lib.redact import redact
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.base.shell import apply_config
from brokeforge.packages.services.nginx.installer import NGINX_CONFIG
from brokeforge.packages.services.sites.site.installer import SiteSystemPackage, vhost
from brokeforge.packages.services.sites.site.spec import CATCH_ALL, SiteSpec, Tls
from brokeforge.packages.services.sites.ssl import certbot
from brokeforge.packages.services.sites.ssl.milestones import SslInstallerMilestones as M
from brokeforge.packages.services.sites.ssl.reading import Reading, read_script
from brokeforge.sites.models import Certificate
from brokeforge.ssh import CommandResult

log = logging.getLogger(__name__)


class CertificateFailed(Exception):
    """The certificate could not be obtained or served; the message says why, in the words of
    the ACME server or of Nginx where they said it."""


class SslPackage(SiteSystemPackage):
    """What the SSL packages share: reading a certificate back from the server and recording it."""

    def served_now(self, certificate: Certificate) -> Certificate:
        """The certificate as it is now, if it is still the one the site serves: a job queued
        before another certificate took its place must not act on it."""
        certificate.refresh_from_db()
        if certificate.status != CertificateStatus.ACTIVE:
            raise CertificateFailed(
                f"Certificate #{certificate.pk} is {certificate.get_status_display().lower()}, no "
                "longer the one the site serves: nothing to do."
            )
        return certificate

    def read(
        self,
        certificate: Certificate,
        spec: SiteSpec,
        *,
        wait_served: bool = False,
        check: Callable[[Reading], None] | None = None,
    ) -> Command:
        """Read the certificate's file and what port 443 serves; record both, then `check` them."""

        def record(result: CommandResult) -> None:
            reading = Reading.parse(result.stdout, certbot.lineage(certificate))
            reading.record(certificate)
            if check is not None:
                check(reading)

        return Command(read_script(certificate, spec.canonical, wait_served=wait_served), on_result=record)

    def ca_bundle(self) -> str:
        """The private ACME server's CAs (BROKEFORGE_ACME_CA_BUNDLE), put on the server for certbot."""
        path = settings.ACME_CA_BUNDLE
        if not path:
            return ""
        try:
            with open(path, encoding="utf-8") as bundle:
                return bundle.read()
        except OSError as exc:
            raise CertificateFailed(
                f"BROKEFORGE_ACME_CA_BUNDLE: cannot read {path}: {exc.strerror}."
            ) from None


class SslInstaller(PackageInstaller, SslPackage):
    def package_name(self) -> PackageName:
        return PackageName.SSL

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, certificate: Certificate) -> None:
        assert self.site is not None
        # A retried job whose certificate went into service (or was replaced since) has nothing
        # to install: what the server serves is read with a check instead.
        if not _start(certificate):
            raise CertificateFailed(
                f"Certificate #{certificate.pk} is {certificate.get_status_display().lower()}: "
                "nothing to install. Check it again to read what the site serves."
            )
        try:
            if certificate.kind == CertificateKind.CUSTOM:
                self.secret(certificate.private_key)
            previous = self.site.active_certificate()
            self.install(self.commands(SiteSpec.of(self.site), certificate, previous))
        except Exception as exc:
            _fail(certificate, redact(str(exc) or type(exc).__name__, self.secrets))
            self._discard(certificate)
            raise

    def commands(self, spec: SiteSpec, certificate: Certificate, previous: Certificate | None) -> list[Step]:
        """`previous`: the certificate the site serves now, whose files go once this one serves."""
        serving = spec.with_tls(Tls.of(certificate))
        acme = certificate.kind == CertificateKind.ACME
        return [
            self.track(M.PREPARE),
            *(certbot.renewal_setup(self.ca_bundle()) if acme else []),
            self.track(M.CONFIGURE_CHALLENGE),
            # The vhost as it is, regenerated: a site made before certificates existed gains the
            # challenge location, and the catch-all its 443 server, before anything is asked.
            apply_config(CATCH_ALL, render("sites/nginx/catch-all.conf.j2"), NGINX_CONFIG),
            vhost(spec),
            self.track(M.OBTAIN),
            *(self._obtain(certificate) if acme else certbot.uploaded_files(certificate)),
            self.track(M.READ),
            self.read(certificate, spec, check=lambda reading: _check_file(reading, certificate)),
            self.track(M.SERVE),
            vhost(serving),
            self.panel("Record it as the certificate the site serves", lambda: _activate(certificate)),
            *(
                [certbot.files_removed(previous)]
                if previous is not None and previous.pk != certificate.pk
                else []
            ),
            self.track(M.VERIFY),
            self.read(certificate, spec, wait_served=True, check=lambda reading: check_served(reading, spec)),
            self.track(M.COMPLETE),
        ]

    def _obtain(self, certificate: Certificate) -> list[Step]:
        return [
            Command(
                certbot.certonly(certificate),
                timeout=certbot.ISSUE_TIMEOUT_SECONDS,
                check=False,
                on_result=certbot_succeeded,
            )
        ]

    def _discard(self, certificate: Certificate) -> None:
        """A certificate that never went into service leaves no files behind (nor, for ACME, a
        renewal certbot would keep trying). Best effort: the failure itself is what counts."""
        if Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.ACTIVE).exists():
            return
        try:
            self.run_command(Command(certbot.unused_files_removed(certificate), check=False))
        except Exception:
            log.warning("Could not remove the files of failed certificate #%s", certificate.pk, exc_info=True)


def certbot_succeeded(result: CommandResult) -> None:
    """Fail with what the ACME server said (certbot's output) unless certbot succeeded."""
    if result.exit_code != 0:
        raise CertificateFailed(certbot.acme_error(f"{result.stdout}\n{result.stderr}"))


def check_served(reading: Reading, spec: SiteSpec) -> None:
    """Fail unless port 443 serves, under the site's name, the certificate of the file."""
    if reading.file is None:
        raise CertificateFailed(f"The certificate file is missing on the server: {reading.file_error}.")
    if reading.served is None:
        raise CertificateFailed(
            f"Port 443 serves no certificate for {spec.canonical}: {reading.served_error}."
        )
    if reading.served.fingerprint_sha256 != reading.file.fingerprint_sha256:
        raise CertificateFailed(
            f"Port 443 serves another certificate for {spec.canonical} (SHA-256 "
            f"{reading.served.fingerprint_sha256}, issued by {reading.served.issuer}) than the one "
            "configured."
        )


def _check_file(reading: Reading, certificate: Certificate) -> None:
    if reading.file is None:
        raise CertificateFailed(f"No certificate at {certificate.fullchain_path}: {reading.file_error}.")
    missing = [name for name in certificate.domains if not reading.file.covers(name)]
    if missing:
        raise CertificateFailed(f"The certificate on the server does not cover {', '.join(missing)}.")


def _start(certificate: Certificate) -> bool:
    """Installing, under this job; False for a certificate past installing (active, replaced)."""
    startable = [CertificateStatus.QUEUED, CertificateStatus.INSTALLING, CertificateStatus.FAILED]
    started = Certificate.objects.filter(pk=certificate.pk, status__in=startable).update(
        status=CertificateStatus.INSTALLING, error="", job_id=runner().job_id, updated_at=timezone.now()
    )
    certificate.refresh_from_db()
    return bool(started)


def _fail(certificate: Certificate, error: str) -> None:
    """Failed, with why, unless it went into service before the failure (then it is served:
    what failed is a check after, kept in the job and in what was read). An upload keeps its
    key (encrypted) for a retry of the job."""
    Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.INSTALLING).update(
        status=CertificateStatus.FAILED, error=error, updated_at=timezone.now()
    )


def _activate(certificate: Certificate) -> None:
    """The site's one active certificate from now on; the one before is replaced."""
    now = timezone.now()
    with transaction.atomic():
        certificate.site.certificates.filter(status=CertificateStatus.ACTIVE).exclude(
            pk=certificate.pk
        ).update(status=CertificateStatus.REPLACED, updated_at=now)
        Certificate.objects.filter(pk=certificate.pk).update(
            status=CertificateStatus.ACTIVE, activated_at=now, error="", updated_at=now
        )
    certificate.status = CertificateStatus.ACTIVE
