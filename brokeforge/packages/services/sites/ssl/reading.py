"""What the panel shows of a certificate comes from the server: the file Nginx is told to serve,
what port 443 really serves under the site's name, and what certbot's renewals left behind. One
read (templates/sites/ssl/read.sh.j2), parsed here, recorded on the Certificate row."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from brokeforge.lib.certificates import CertificateInfo, parse_chain
from brokeforge.lib.templates import render
from brokeforge.packages.services.sites.ssl.certbot import STATE_DIR, acme_error, lineage
from brokeforge.sites.models import CHECK_INTERVAL, Certificate

_SECTIONS = ("file", "served", "renewed", "renew status", "renew log")


def read_script(certificate: Certificate, domain: str, *, wait_served: bool = False) -> str:
    """The read, as one shell line (root): with `wait_served`, it first waits (10 s at most) for
    port 443 to serve the file's certificate, as it does moments after a reload."""
    script = render(
        "sites/ssl/read.sh.j2",
        fullchain=certificate.fullchain_path,
        domain=domain,
        lineage=lineage(certificate),
        state_dir=STATE_DIR,
        wait_served=wait_served,
    )
    return f"sh -c {shlex.quote(script)}"


@dataclass(frozen=True)
class Reading:
    file: CertificateInfo | None
    file_error: str
    served: CertificateInfo | None
    served_error: str
    # The last renewal certbot's deploy hook saw, and whether Nginx took it.
    renewed_at: datetime | None
    reload_refused: bool
    # certbot's own words if its last renewal run failed for this certificate; "" otherwise.
    renewal_error: str

    @classmethod
    def parse(cls, output: str, name: str) -> Reading:
        sections = _sections(output)
        file, file_error = _leaf(sections["file"])
        served, served_error = _leaf(sections["served"])
        renewed = _fields(sections["renewed"])
        renewed_at = _moment(renewed.get("at", ""))
        last_run = _moment(_fields(sections["renew status"]).get("at", ""))
        # The timer's last run failing counts only if no renewal (the panel's own) came after it.
        newer = last_run is not None and (renewed_at is None or last_run > renewed_at)
        return cls(
            file=file,
            file_error=file_error,
            served=served,
            served_error=served_error,
            renewed_at=renewed_at,
            reload_refused=renewed.get("reload") == "refused",
            renewal_error=_renewal_error(sections["renew log"], name) if newer else "",
        )

    def record(self, certificate: Certificate) -> None:
        """The row takes what was read; a read that found no file says so in `error`."""
        now = timezone.now()
        fields: dict[str, object] = {
            "read_at": now,
            "served_checked_at": now,
            "next_check_at": now + CHECK_INTERVAL,
        }
        if self.file is not None:
            fields |= {
                "issuer": self.file.issuer,
                "names": list(self.file.dns_names),
                "serial": self.file.serial,
                "fingerprint": self.file.fingerprint_sha256,
                "not_before": self.file.not_before,
                "not_after": self.file.not_after,
            }
        served = self.served
        fields |= {
            "served_fingerprint": served.fingerprint_sha256 if served else "",
            "served_not_after": served.not_after if served else None,
            "served_error": self.served_error[:500],
            "renewed_at": self.renewed_at or certificate.renewed_at,
            "renewal_error": self.renewal_problem(),
        }
        Certificate.objects.filter(pk=certificate.pk).update(**fields, updated_at=now)
        for key, value in fields.items():
            setattr(certificate, key, value)

    def renewal_problem(self) -> str:
        if self.renewal_error:
            return self.renewal_error
        if self.reload_refused:
            return "The certificate was renewed, but Nginx refused its configuration: it was not reloaded."
        return ""


def _sections(output: str) -> dict[str, str]:
    found: dict[str, list[str]] = {name: [] for name in _SECTIONS}
    current: list[str] | None = None
    for line in output.splitlines():
        header = line.removeprefix("== ") if line.startswith("== ") else None
        if header in found:
            current = found[header]
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}


def _leaf(text: str) -> tuple[CertificateInfo | None, str]:
    if "-----BEGIN CERTIFICATE-----" not in text:
        lines = [line for line in text.splitlines() if line.strip()]
        return None, (lines[-1].removeprefix("error: ") if lines else "nothing read")
    try:
        return CertificateInfo.from_certificate(parse_chain(text)[0]), ""
    except ValueError as exc:
        return None, str(exc)


def _fields(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _moment(epoch: str) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), UTC) if epoch.strip().isdigit() else None


def _renewal_error(log: str, name: str) -> str:
    """certbot's error for `name` in the timer's last run, from its own section of the output
    (certbot 2: "Processing .../renewal/NAME.conf", the ACME server's problems, then "Failed to
    renew certificate NAME with error: ..."); "" if that run did not fail for it."""
    section = _section_of(log, name)
    failed = [line.strip() for line in section if line.startswith(f"Failed to renew certificate {name} ")]
    if not failed:
        return ""
    problems = acme_error("\n".join(section)) if any("reported these problems" in s for s in section) else ""
    return "\n".join(filter(None, [failed[0], problems]))


def _section_of(log: str, name: str) -> list[str]:
    lines, inside, section = log.splitlines(), False, []
    for line in lines:
        if line.startswith("Processing /etc/letsencrypt/renewal/"):
            inside = line.strip() == f"Processing /etc/letsencrypt/renewal/{name}.conf"
        elif inside:
            section.append(line)
    return section
