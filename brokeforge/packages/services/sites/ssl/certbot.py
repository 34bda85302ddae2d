"""Certificates on the server, as commands built from data: certbot (Debian's) for ACME, plain
files for uploads, and what makes renewals real (a deploy hook that checks and reloads Nginx, the
timer's run recorded where the panel reads it)."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from urllib.parse import urlsplit

from brokeforge.lib.enums import CertificateKind
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, Step
from brokeforge.packages.base.shell import apt_install_fresh, daemon_reload, reload, write_file
from brokeforge.packages.services.sites.site.spec import ACME_CHALLENGE_ROOT
from brokeforge.sites.models import ACME_LIVE_DIR, CUSTOM_CERTIFICATES_DIR, Certificate

SSL_PACKAGES = ["certbot"]
# The CAs that sign a private ACME server's HTTPS (BROKEFORGE_ACME_CA_BUNDLE), for certbot.
CA_BUNDLE = "/etc/brokeforge/acme-ca.pem"
# What renewals leave for the panel to read: the timer's last run, and each renewal's reload.
STATE_DIR = "/var/lib/brokeforge/ssl"
DEPLOY_HOOK = "/etc/letsencrypt/renewal-hooks/deploy/brokeforge-nginx"
RENEW_WRAPPER = "/usr/local/lib/brokeforge/certbot-renew"
TIMER_DROPIN = "/etc/systemd/system/certbot.service.d/brokeforge.conf"
# Uses the bundle when the panel put one there; otherwise the system's CAs (Let's Encrypt).
CA_BUNDLE_EXPORT = f"if [ -s {CA_BUNDLE} ]; then export REQUESTS_CA_BUNDLE={CA_BUNDLE}; fi"
ISSUE_TIMEOUT_SECONDS = 300

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_LINEAGE_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,252}-[0-9]+$")


def renewal_setup(ca_bundle_pem: str) -> list[Step]:
    """certbot installed, its renewals reloading Nginx and leaving their outcome for the panel,
    the challenge directory every vhost serves, and the ACME server's CA bundle (if any)."""
    hook = render("sites/ssl/deploy-hook.sh.j2", state_dir=STATE_DIR, reload=reload("nginx"))
    wrapper = render(
        "sites/ssl/certbot-renew.sh.j2",
        state_dir=STATE_DIR,
        dropin=TIMER_DROPIN,
        ca_bundle_export=CA_BUNDLE_EXPORT,
    )
    dirs = [
        STATE_DIR,
        ACME_CHALLENGE_ROOT,
        *(p.rsplit("/", 1)[0] for p in (DEPLOY_HOOK, RENEW_WRAPPER, TIMER_DROPIN, CA_BUNDLE)),
    ]
    return [
        apt_install_fresh(SSL_PACKAGES),
        f"install -d -m 0755 {' '.join(shlex.quote(d) for d in dirs)}",
        write_file(DEPLOY_HOOK, hook, "0755"),
        write_file(RENEW_WRAPPER, wrapper, "0755"),
        write_file(TIMER_DROPIN, render("sites/ssl/certbot-service.conf.j2", wrapper=RENEW_WRAPPER)),
        daemon_reload(),
        write_file(CA_BUNDLE, ca_bundle_pem) if ca_bundle_pem.strip() else f"rm -f {CA_BUNDLE}",
    ]


def certonly(certificate: Certificate) -> str:
    """certbot's command that obtains the certificate over HTTP-01 into its own lineage."""
    names = " ".join(f"-d {shlex.quote(name)}" for name in certificate.domains)
    contact = (
        f"--email={shlex.quote(email(certificate.email))}"
        if certificate.email
        else "--register-unsafely-without-email"
    )
    return (
        f"{CA_BUNDLE_EXPORT}; certbot certonly --non-interactive --agree-tos --webroot "
        f"-w {ACME_CHALLENGE_ROOT} --cert-name {lineage(certificate)} {names} "
        f"--server {shlex.quote(directory_url(certificate.directory_url))} {contact}"
    )


def renew(certificate: Certificate) -> str:
    """A renewal now (forced: the user asked), run as the timer's would be, deploy hook included."""
    return (
        f"{CA_BUNDLE_EXPORT}; certbot renew --non-interactive --no-random-sleep-on-renew "
        f"--force-renewal --cert-name {lineage(certificate)}"
    )


def unused_files_removed(certificate: Certificate) -> str:
    """files_removed, unless a configuration of Nginx still names them: a failed attempt whose
    vhost stayed in place (its reload failed, the connection dropped) keeps them."""
    directory = shlex.quote(f"{certificate.directory}/")
    kept = shlex.quote(f"Nginx still names {lineage(certificate)}: its files stay.")
    return (
        f"if grep -rqsF -- {directory} /etc/nginx/; then echo {kept}; else {files_removed(certificate)}; fi"
    )


def files_removed(certificate: Certificate) -> str:
    """The certificate's files (and for ACME, its renewal) gone from the server; nothing if gone."""
    name = lineage(certificate)
    if certificate.kind == CertificateKind.ACME:
        return (
            f"if [ -e /etc/letsencrypt/renewal/{name}.conf ] || [ -e {ACME_LIVE_DIR}/{name} ]; then "
            f"certbot delete --non-interactive --cert-name {name}; fi; rm -f {STATE_DIR}/renewed/{name}"
        )
    return f"rm -rf -- {CUSTOM_CERTIFICATES_DIR}/{name}"


def uploaded_files(certificate: Certificate) -> list[Step]:
    """An upload's chain (0644) and key (0600, root's), both on stdin."""
    directory = f"{CUSTOM_CERTIFICATES_DIR}/{lineage(certificate)}"
    steps = [
        Command(f"install -d -m 0755 {CUSTOM_CERTIFICATES_DIR} && install -d -m 0700 {directory}"),
        write_file(certificate.fullchain_path, certificate.certificate_pem, "0644"),
        write_file(certificate.key_path, certificate.private_key, "0600"),
    ]
    # A failed attempt takes its files away (files_removed): a retry writes them again.
    return [replace(step, repeat_on_retry=True) for step in steps]


def lineage(certificate: Certificate) -> str:
    """The certificate's name on the server, checked: it reaches a shell and file paths."""
    name = certificate.lineage
    if not _LINEAGE_RE.fullmatch(name):
        raise ValueError(f"Invalid certificate name {name!r}")
    return name


def email(value: str) -> str:
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address the ACME server would take.")
    return value


def directory_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(f"The ACME directory must be an https URL, got {value!r}.")
    return value


def acme_error(output: str) -> str:
    """What the ACME server said, from certbot's output: the problems it reported per domain,
    else certbot's last error lines."""
    lines = [line.rstrip() for line in output.splitlines()]
    for start, line in enumerate(lines):
        if "reported these problems" in line or line.startswith("An unexpected error occurred"):
            problems: list[str] = []
            for follow in lines[start:]:
                if follow.startswith("Hint:") or (problems and not follow.strip() and len(problems) > 4):
                    break
                problems.append(follow)
            return "\n".join(p for p in problems if p.strip())
    errors = [
        line for line in lines if line.strip() and not line.startswith(("Saving debug log", "Ask for help"))
    ]
    return "\n".join(errors[-5:]) or "certbot failed without saying why."
