"""SSL for sites on a real server, with a real ACME server (pebble, tests/testbed/acme.py) whose
DNS points the sites' names at the booted server: what a user checks with curl and openssl.

Issued through the product (`ssl issue`): served over HTTPS under the site's name and verified
against pebble's root; the redirect name validated through its redirect server; the expiry shown
equals `openssl x509 -enddate` on the server. Renewed by certbot's own timer (the certificate
lives a day: always due) and served afterwards without any reload by hand; a renewal that fails
is flagged. Force HTTPS and HSTS, with the ACME path still reachable over HTTP. A failed issuance
keeps the ACME server's error and is retried. Uploads: served, key 0600; a mismatched or expired
one refused with nothing queued. A vhost edit Nginx refuses is rolled back with the site serving.
Removing the certificate returns the site to plain HTTP.
"""

from __future__ import annotations

import datetime
import json
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import Panel, ProvisionedServer
from tests.e2e.test_sites import curl
from tests.testbed import BootedServer, Testbed
from tests.testbed.acme import AcmeServer
from tests.testbed.panel import create_panel, provision
from tests.workers import wait_for

pytestmark = pytest.mark.servers

ROOT = "/root/pebble-root.pem"
CHALLENGE_DIR = "/var/lib/brokeforge/acme-challenge/.well-known/acme-challenge"


@pytest.fixture(scope="module")
def shared(
    testbed: Testbed, acme_server: AcmeServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Panel, ProvisionedServer]]:
    """One panel (its ACME directory: pebble) and one provisioned server for the module."""
    panel = create_panel(tmp_path_factory.mktemp("ssl-panel"))
    panel.env["BROKEFORGE_ACME_DIRECTORY"] = acme_server.directory_url
    panel.env["BROKEFORGE_ACME_CA_BUNDLE"] = str(acme_server.ca_bundle_path)
    srv = testbed.boot("ssl", provisioned=True)
    try:
        server_id, _seconds = provision(panel, srv, "ssl")
        srv.run(f"cat > {ROOT}", input=acme_server.issuing_root_pem())
        yield panel, ProvisionedServer(srv, server_id, "ssl")
    finally:
        panel.workers.stop()
        srv.stop()


def cli_json(panel: Panel, *args: str) -> tuple[int, Any]:
    result = panel.cli(*args, "--json", check=False)
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}") from None


def add_site(panel: Panel, server_id: int, domain: str, *options: str) -> str:
    site = panel.json(
        "sites", "add", str(server_id), "--domain", domain, "--type", "static", *options, "--wait"
    )
    assert site["status"] == "active", site
    return str(site["id"])


def https(srv: BootedServer, host: str, path: str = "/", *options: str) -> subprocess.CompletedProcess[str]:
    """A browser's HTTPS request for `host`, trusting pebble's root only."""
    words = [
        "curl",
        "-sS",
        "--cacert",
        ROOT,
        "--resolve",
        f"{host}:443:127.0.0.1",
        *options,
        f"https://{host}{path}",
    ]
    return srv.run(shlex.join(words), check=False)


def enddate(srv: BootedServer, path: str) -> datetime.datetime:
    line = srv.run(f"openssl x509 -noout -enddate -in {shlex.quote(path)}").stdout.strip()
    when = datetime.datetime.strptime(line.removeprefix("notAfter="), "%b %d %H:%M:%S %Y %Z")
    return when.replace(tzinfo=datetime.UTC)


def served_serial(srv: BootedServer, host: str) -> str:
    script = (
        f"printf '' | openssl s_client -connect 127.0.0.1:443 -servername {host} 2>/dev/null "
        "| openssl x509 -noout -serial"
    )
    return srv.run(f"sh -c {shlex.quote(script)}", check=False).stdout.strip()


def active_certificate(panel: Panel, site_id: str) -> dict[str, Any]:
    _code, listed = cli_json(panel, "ssl", "list", site_id)
    active = [c for c in listed["certificates"] if c["status"] == "active"]
    assert len(active) == 1, listed
    return active[0]


def test_issue_force_https_renew_by_the_timer_and_remove(
    shared: tuple[Panel, ProvisionedServer], acme_server: AcmeServer
) -> None:
    panel, server = shared
    srv = server.srv
    acme_server.point("ssl.test", srv.ip)
    acme_server.point("www.ssl.test", srv.ip)
    site_id = add_site(panel, server.server_id, "ssl.test", "--redirect", "www-to-apex")

    # Issued for both names: www.ssl.test is validated through its redirect server block.
    code, issued = cli_json(panel, "ssl", "issue", site_id, "--wait")
    assert code == 0 and issued["status"] == "active", issued
    assert sorted(issued["names"]) == ["ssl.test", "www.ssl.test"]
    page = https(srv, "ssl.test")
    assert page.returncode == 0 and "ssl.test" in page.stdout, page.stderr
    redirect = https(srv, "www.ssl.test", "/x?y=1", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    assert redirect.stdout == "301 https://ssl.test/x?y=1", redirect.stdout + redirect.stderr

    # What the panel shows is read from the server's file, and port 443 serves that file.
    fullchain = srv.run("ls -d /etc/letsencrypt/live/ssl.test-*/fullchain.pem").stdout.strip()
    shown = active_certificate(panel, site_id)
    assert datetime.datetime.fromisoformat(shown["not_after"]) == enddate(srv, fullchain)
    assert shown["issuer"].startswith("CN=Pebble Intermediate CA")
    assert shown["served_matches"] is True and shown["problems"] != ["not served on port 443"]
    key = srv.run(
        f"stat -L -c '%a %U' {shlex.quote(fullchain.replace('fullchain', 'privkey'))}"
    ).stdout.split()
    assert key == ["600", "root"]

    # Force HTTPS with HSTS: plain HTTP redirects, except the ACME challenge path.
    updated = panel.cli(
        "sites", "update", site_id, "--force-https", "on", "--hsts", "300", "--wait", check=False
    )
    assert updated.returncode == 0, updated.stdout + updated.stderr
    plain = curl(srv, "ssl.test", "/page?a=b", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    assert plain.stdout == "301 https://ssl.test/page?a=b", plain.stdout
    srv.run(f"mkdir -p {CHALLENGE_DIR} && echo probe-token > {CHALLENGE_DIR}/probe")
    assert curl(srv, "ssl.test", "/.well-known/acme-challenge/probe").stdout.strip() == "probe-token"
    assert curl(srv, "www.ssl.test", "/.well-known/acme-challenge/probe").stdout.strip() == "probe-token"
    headers = https(srv, "ssl.test", "/", "-D", "-", "-o", "/dev/null").stdout.lower()
    assert "strict-transport-security: max-age=300" in headers

    # certbot's own timer renews it (a day-long certificate is always due); the deploy hook
    # reloads Nginx: the new certificate is served with nobody reloading anything.
    before = served_serial(srv, "ssl.test")
    srv.run("systemctl start certbot.service", timeout=180)
    wait_for(lambda: served_serial(srv, "ssl.test") != before, 10, "the renewed certificate to be served")
    assert srv.run(f"openssl x509 -noout -serial -in {fullchain}").stdout.strip() == served_serial(
        srv, "ssl.test"
    )
    code, _job = cli_json(panel, "ssl", "refresh", site_id, "--wait")
    assert code == 0
    renewed = active_certificate(panel, site_id)
    assert renewed["serial"] != shown["serial"] and renewed["renewed_at"], renewed
    assert datetime.datetime.fromisoformat(renewed["not_after"]) == enddate(srv, fullchain)
    assert renewed["renewal_error"] == "" and renewed["served_matches"] is True

    # A renewal that fails (the name no longer points here) is flagged after the next check.
    acme_server.unpoint("www.ssl.test")
    failed = srv.run("systemctl start certbot.service", check=False, timeout=180)
    assert failed.returncode != 0
    cli_json(panel, "ssl", "refresh", site_id, "--wait")
    flagged = active_certificate(panel, site_id)
    assert "ssl.test" in flagged["renewal_error"], flagged
    assert "its last renewal failed" in flagged["problems"]
    # ...and a renewal that works afterwards (through the panel) clears it.
    acme_server.point("www.ssl.test", srv.ip)
    code, _job = cli_json(panel, "ssl", "renew", site_id, "--wait")
    assert code == 0
    assert active_certificate(panel, site_id)["renewal_error"] == ""

    # Removed: plain HTTP again (no redirect), nothing on 443 for the name, certbot forgets it.
    code, _job = cli_json(panel, "ssl", "remove", site_id, "--wait")
    assert code == 0
    wait_for(lambda: curl(srv, "ssl.test", "/", "-o", "/dev/null", "-w", "%{http_code}").stdout == "200", 10,
             "plain HTTP to serve the site again")  # fmt: skip
    assert https(srv, "ssl.test").returncode != 0
    assert "ssl.test-" not in srv.run("certbot certificates 2>&1").stdout
    site = panel.json("sites", "show", site_id)
    assert site["force_https"] is False and site["hsts_max_age"] == 0


def test_a_failed_issuance_keeps_the_acme_error_and_is_retried(
    shared: tuple[Panel, ProvisionedServer], acme_server: AcmeServer
) -> None:
    panel, server = shared
    srv = server.srv
    site_id = add_site(panel, server.server_id, "late.test")
    vhost = srv.run("cat /etc/nginx/sites-enabled/late.test.conf").stdout

    code, failed = cli_json(panel, "ssl", "issue", site_id, "--wait")
    assert code == 1 and failed["status"] == "failed", failed
    # Pebble's own words: it could not resolve the name.
    assert "late.test" in failed["error"] and "resolve" in failed["error"], failed["error"]
    assert srv.run("cat /etc/nginx/sites-enabled/late.test.conf").stdout == vhost
    assert "late.test-" not in srv.run("certbot certificates 2>&1").stdout

    acme_server.point("late.test", srv.ip)
    code, retried = cli_json(panel, "ssl", "retry", str(failed["id"]), "--wait")
    assert code == 0 and retried["status"] == "active", retried
    assert https(srv, "late.test").returncode == 0
    _code, listed = cli_json(panel, "ssl", "list", site_id)
    statuses = [(c["id"], c["status"]) for c in listed["certificates"]]
    assert (failed["id"], "failed") in statuses, statuses


def _ca(tmp: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "E2E Upload CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _leaf(
    tmp: Path, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], stem: str, names: list[str], days: int
) -> tuple[Path, Path]:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=2) if days > 0 else now - datetime.timedelta(days=10)
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp / f"{stem}.pem", tmp / f"{stem}.key"
    cert_path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    key_path.chmod(0o600)
    return cert_path, key_path


def upload(panel: Panel, site_id: str, cert: Path, key: Path) -> tuple[int, Any]:
    return cli_json(panel, "ssl", "upload", site_id, "--cert", str(cert), "--key", str(key), "--wait")


def test_uploads_are_checked_served_and_a_refused_vhost_edit_is_rolled_back(
    shared: tuple[Panel, ProvisionedServer], tmp_path: Path
) -> None:
    panel, server = shared
    srv = server.srv
    site_id = add_site(panel, server.server_id, "up.test")
    ca = _ca(tmp_path)
    srv.run("cat > /root/upload-ca.pem", input=(tmp_path / "ca.pem").read_text())
    good_cert, good_key = _leaf(tmp_path, ca, "good", ["up.test"], 30)
    _other_cert, other_key = _leaf(tmp_path, ca, "other", ["up.test"], 30)
    expired_cert, expired_key = _leaf(tmp_path, ca, "expired", ["up.test"], -1)
    elsewhere_cert, elsewhere_key = _leaf(tmp_path, ca, "elsewhere", ["other.test"], 30)
    jobs_before = panel.json("jobs", "list")

    # Refused before anything is queued, each with its reason.
    for cert, key, reason in [
        (good_cert, other_key, "does not match"),
        (expired_cert, expired_key, "expired"),
        (elsewhere_cert, elsewhere_key, "up.test"),
    ]:
        refused = panel.cli("ssl", "upload", site_id, "--cert", str(cert), "--key", str(key), check=False)
        assert refused.returncode != 0 and reason in refused.stdout + refused.stderr, refused.stderr
        assert "PRIVATE KEY" not in refused.stdout + refused.stderr
    assert panel.json("jobs", "list") == jobs_before

    uploaded = panel.cli("ssl", "upload", site_id, "--cert", str(good_cert), "--key", str(good_key), "--wait",
                         "--json", check=False)  # fmt: skip
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert "PRIVATE KEY" not in uploaded.stdout
    page = srv.run(
        "curl -sS --cacert /root/upload-ca.pem --resolve up.test:443:127.0.0.1 https://up.test/", check=False
    )
    assert page.returncode == 0 and "up.test" in page.stdout, page.stderr
    key_file = srv.run("ls /etc/brokeforge/ssl/up.test-*/privkey.pem").stdout.strip()
    assert srv.run(f"stat -c '%a %U' {key_file}").stdout.split() == ["600", "root"]
    shown = active_certificate(panel, site_id)
    assert datetime.datetime.fromisoformat(shown["not_after"]) == enddate(
        srv, key_file.replace("privkey", "fullchain")
    )

    # Another upload takes its place: served, and the first one's files are gone.
    first_dir = key_file.rsplit("/", 1)[0]
    second_cert, second_key = _leaf(tmp_path, ca, "second", ["up.test"], 20)
    _code, second = upload(panel, site_id, second_cert, second_key)
    assert second["status"] == "active", second
    assert served_serial(srv, "up.test") == f"serial={second['serial']}"
    assert srv.run(f"test -e {first_dir}", check=False).returncode == 1
    statuses = {c["id"]: c["status"] for c in cli_json(panel, "ssl", "list", site_id)[1]["certificates"]}
    assert statuses[shown["id"]] == "replaced"

    # Changes Nginx refuses (the user's include is broken) are rolled back, the site still served
    # with its certificate: a settings update, and a new certificate (which keeps Nginx's words).
    vhost = srv.run("cat /etc/nginx/sites-enabled/up.test.conf").stdout
    broken = "/etc/nginx/brokeforge-sites/up.test/server/broken.conf"
    third_cert, third_key = _leaf(tmp_path, ca, "third", ["up.test"], 25)
    srv.run(f"echo 'this_is_not_a_directive on;' > {broken}")
    try:
        refused = panel.cli("sites", "update", site_id, "--force-https", "on", "--wait", check=False)
        assert refused.returncode == 1, refused.stdout
        code, third = upload(panel, site_id, third_cert, third_key)
        assert code == 1 and third["status"] == "failed", third
        assert "this_is_not_a_directive" in third["error"], third["error"]
        assert srv.run("cat /etc/nginx/sites-enabled/up.test.conf").stdout == vhost
        assert served_serial(srv, "up.test") == f"serial={second['serial']}"
        # What failed leaves no key behind on the server.
        assert srv.run(f"test -e /etc/brokeforge/ssl/up.test-{third['id']}", check=False).returncode == 1
    finally:
        srv.run(f"rm -f {broken}")
    assert srv.run("curl -sS --cacert /root/upload-ca.pem --resolve up.test:443:127.0.0.1 https://up.test/",
                   check=False).returncode == 0  # fmt: skip
    assert curl(srv, "up.test", "/", "-o", "/dev/null", "-w", "%{http_code}").stdout == "200"
    assert panel.json("sites", "show", site_id)["force_https"] is False

    # Once the include is fixed, retrying the failed job puts that certificate in service.
    retried = panel.cli("jobs", "retry", str(third["job"]["id"]), "--wait", check=False)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert active_certificate(panel, site_id)["id"] == third["id"]
    assert (
        served_serial(srv, "up.test")
        == f"serial={third['serial'] or active_certificate(panel, site_id)['serial']}"
    )
