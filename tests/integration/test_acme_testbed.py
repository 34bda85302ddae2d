"""The ACME test bed (tests/testbed/acme.py): certbot on a booted server gets a real certificate
from pebble over HTTP-01, validated through the server's own nginx, with pebble's DNS pointing
the name at the server. What the SSL feature's tests stand on."""

from __future__ import annotations

import re
import shlex
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.testbed import Testbed
from tests.testbed.acme import ACME_PORT, DNS_MANAGEMENT_PORT, DNS_PORT, MANAGEMENT_PORT, AcmeServer

pytestmark = pytest.mark.servers

DOMAIN = "ssl.test"
LIVE = f"/etc/letsencrypt/live/{DOMAIN}"
CA_BUNDLE = "/root/acme-https-ca.pem"
ISSUING_ROOT = "/root/pebble-root.pem"
# The root of the server block that answers any name no site claims (the product's default site).
DEFAULT_SITE_ROOT = (
    "nginx -T 2>/dev/null | awk '/listen 80 default_server/ {d=1} d && $1 == \"root\" {print $2; exit}'"
)


def _certbot(acme: AcmeServer, domain: str, webroot: str) -> str:
    return (
        f"REQUESTS_CA_BUNDLE={CA_BUNDLE} certbot certonly --webroot -w {shlex.quote(webroot)} -d {domain} "
        f"--server {shlex.quote(acme.directory_url)} --agree-tos -m t@example.invalid "
        "--non-interactive --no-random-sleep-on-renew"
    )


def _common_name(pem: str) -> str:
    names = x509.load_pem_x509_certificate(pem.encode()).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value)


def test_certbot_gets_a_certificate_from_pebble_over_http01(
    testbed: Testbed, acme_server: AcmeServer
) -> None:
    srv = testbed.boot("acme-client", provisioned=True)
    try:
        # The image's apt lists may be older than the archive: update only if the install fails.
        install = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends certbot"
        srv.run(f"{install} || (apt-get update -q && {install})", timeout=300)
        srv.run(f"cat > {CA_BUNDLE}", input=acme_server.ca_bundle_pem)
        srv.run(f"cat > {ISSUING_ROOT}", input=acme_server.issuing_root_pem())
        # The product's default site (not Debian's /var/www/html) answers a name no site claims.
        webroot = srv.run(DEFAULT_SITE_ROOT).stdout.strip().rstrip(";")
        assert webroot.startswith("/var/www/"), webroot
        acme_server.point(DOMAIN, srv.ip)

        issued = srv.run(_certbot(acme_server, DOMAIN, webroot), check=False, timeout=120)
        assert issued.returncode == 0, issued.stdout + issued.stderr
        srv.run(f"test -s {LIVE}/cert.pem && test -s {LIVE}/chain.pem && test -s {LIVE}/privkey.pem")

        # Issued by pebble's intermediate, for the name, and chains to pebble's issuing root.
        issuer = srv.run(f"openssl x509 -noout -issuer -nameopt RFC2253 -in {LIVE}/cert.pem").stdout
        intermediate = _common_name(acme_server.issuing_intermediate_pem())
        assert intermediate.startswith("Pebble Intermediate CA")
        assert issuer.strip() == f"issuer=CN={intermediate}"
        names = srv.run(f"openssl x509 -noout -ext subjectAltName -in {LIVE}/cert.pem").stdout
        assert f"DNS:{DOMAIN}" in names
        verified = srv.run(
            f"openssl verify -CAfile {ISSUING_ROOT} -untrusted {LIVE}/chain.pem {LIVE}/cert.pem"
        )
        assert verified.stdout.strip() == f"{LIVE}/cert.pem: OK"

        # Short-lived, as configured: expires after the validity less ten minutes, before it plus one.
        validity = acme_server.cert_validity
        srv.run(f"openssl x509 -noout -checkend {validity - 600} -in {LIVE}/cert.pem")
        later = srv.run(f"openssl x509 -noout -checkend {validity + 60} -in {LIVE}/cert.pem", check=False)
        assert later.returncode == 1, later.stdout

        # Due for renewal at once (inside certbot's 30-day window): a plain renew gets a new one.
        serial = f"openssl x509 -noout -serial -in {LIVE}/cert.pem"
        first = srv.run(serial).stdout
        srv.run(f"REQUESTS_CA_BUNDLE={CA_BUNDLE} certbot renew --no-random-sleep-on-renew", timeout=120)
        assert srv.run(serial).stdout != first

        # Pebble really fetched the challenge from this server's nginx (from the bridge IP).
        access = srv.run("cat /var/log/nginx/default-access.log").stdout
        assert any(
            line.startswith(f"{testbed.bridge_ip} ")
            and "/.well-known/acme-challenge/" in line
            and '" 200 ' in line
            for line in access.splitlines()
        ), access

        # A name nobody pointed does not resolve: the order fails with pebble's own error.
        started = time.monotonic()
        refused = srv.run(_certbot(acme_server, "unpointed.test", webroot), check=False, timeout=120)
        assert refused.returncode != 0
        assert "Domain: unpointed.test" in refused.stdout, refused.stdout
        assert 'could not resolve URL "http://unpointed.test:80/' in refused.stdout, refused.stdout
        assert time.monotonic() - started < 30
    finally:
        acme_server.unpoint(DOMAIN)
        srv.stop()


def test_pebble_and_its_dns_listen_only_on_the_bridge_ip(testbed: Testbed, acme_server: AcmeServer) -> None:
    sockets = subprocess.run(["ss", "-Hlntup"], capture_output=True, text=True, check=True).stdout
    pids = set(acme_server.pids)
    assert len(pids) == 2
    listening = set()
    for line in sockets.splitlines():
        owners = {int(pid) for pid in re.findall(r"pid=(\d+)", line)}
        if owners & pids:
            protocol, local = line.split()[0], line.split()[4]
            listening.add((protocol, local))
    ip = testbed.bridge_ip
    assert listening == {
        ("tcp", f"{ip}:{ACME_PORT}"),
        ("tcp", f"{ip}:{MANAGEMENT_PORT}"),
        ("tcp", f"{ip}:{DNS_PORT}"),
        ("udp", f"{ip}:{DNS_PORT}"),
        ("tcp", f"{ip}:{DNS_MANAGEMENT_PORT}"),
    }
