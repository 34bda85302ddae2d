"""An ACME server for the tests: Debian's pebble, with pebble-challtestsrv as its DNS.

    acme = AcmeServer.start_for(bed)            # or the session's `acme_server` fixture
    acme.point("ssl.test", srv.ip)              # pebble resolves ssl.test to the server
    acme.directory_url                          # https://<bridge IP>:14000/dir, for certbot --server
    acme.ca_bundle_pem                          # signs pebble's HTTPS certificate: REQUESTS_CA_BUNDLE
    acme.issuing_root_pem()                     # pebble's own root, for curl --cacert / openssl verify
    acme.issuing_intermediate_pem()             # the CA that signs the certificates it issues
    acme.ca_bundle_path, acme.cert_validity     # the same CA as a file; issued certificates' lifetime
    acme.pids, acme.pebble_log                  # running processes; pebble's log (validations)

Both run on the test machine as plain processes (no systemd here), started and stopped by PID,
in the slot's cgroup (so a crashed run's leftovers are killed when the slot is taken again), and
listen only on the bed's bridge IP: the servers reach them there, as they reach apt-cacher-ng,
and two beds on one machine never share a port.

Debian's package (`pebble`, which ships both `/usr/bin/pebble` and `/usr/bin/pebble-challtestsrv`)
has no test certificate for pebble's own HTTPS: a CA and a certificate for the bridge IP are made
here, in a fresh directory per run. Pebble makes a new issuing root and intermediate at every start.

Pebble is made quick and deterministic: no random validation sleeps (PEBBLE_VA_NOSLEEP), no good
nonce rejected (PEBBLE_WFE_NONCEREJECT=0), no authorization reused from an earlier order
(PEBBLE_AUTHZREUSE=0: every order is validated over HTTP-01 afresh), and certificates valid for
`cert_validity` seconds (one day by default: well inside certbot's 30-day renewal window, so a
`certbot renew` renews them without --force-renewal). HTTP-01 validation goes to port 80 of the
address `point()` gave the name; a name never pointed gets no DNS answer (no default address).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.testbed import cgroups
from tests.testbed.bed import Testbed
from tests.testbed.errors import TestbedError
from tests.testbed.procs import log, stop_popen

PEBBLE = "/usr/bin/pebble"
CHALLTESTSRV = "/usr/bin/pebble-challtestsrv"
ACME_PORT = 14000  # pebble's ACME API (HTTPS)
MANAGEMENT_PORT = 15000  # pebble's management API (HTTPS): /roots/0, /intermediates/0
DNS_PORT = 8053  # pebble-challtestsrv's DNS (UDP and TCP), pebble's -dnsserver
DNS_MANAGEMENT_PORT = 8055  # pebble-challtestsrv's management API (HTTP): /add-a, /clear-a
HTTP01_PORT = 80  # where pebble validates HTTP-01 challenges
TLSALPN01_PORT = 443
DEFAULT_CERT_VALIDITY = 24 * 3600  # seconds

# Pebble reads these; nothing from the caller's environment may change how it behaves.
PEBBLE_ENV = {
    "PEBBLE_VA_NOSLEEP": "1",
    "PEBBLE_WFE_NONCEREJECT": "0",
    "PEBBLE_AUTHZREUSE": "0",
}


class AcmeServer:
    """pebble and pebble-challtestsrv on IP (the bed's bridge IP, or loopback on its own).

    WORK_DIR must be a fresh directory (the HTTPS CA's key, the configuration and the logs go
    there). CGROUP: the cgroup (relative to the bed's, like "slot0/acme") both processes run in.
    """

    def __init__(
        self,
        ip: str,
        work_dir: Path,
        cgroup: str | None = None,
        cert_validity: int = DEFAULT_CERT_VALIDITY,
    ) -> None:
        address = ipaddress.ip_address(ip)
        if address.version != 4 or address.is_unspecified:
            raise ValueError(f"an IPv4 address of one interface, not {ip!r} (never all interfaces)")
        if cert_validity <= 0:
            raise ValueError(f"a certificate validity in seconds, not {cert_validity!r}")
        self.ip = str(address)
        self.work_dir = work_dir
        self.cgroup = cgroup
        self.cert_validity = cert_validity
        self.ca_bundle_path = work_dir / "https-ca.pem"
        self.pebble_log = work_dir / "pebble.log"
        self.challtestsrv_log = work_dir / "pebble-challtestsrv.log"
        self._pebble: subprocess.Popen[bytes] | None = None
        self._challtestsrv: subprocess.Popen[bytes] | None = None
        self._ssl: ssl.SSLContext | None = None
        self._management_cache: dict[str, str] = {}

    @classmethod
    def start_for(cls, bed: Testbed, cert_validity: int = DEFAULT_CERT_VALIDITY) -> AcmeServer:
        """Start one on BED's bridge IP, in the bed's slot cgroup, files in a new dir of its run dir."""
        bed.run_dir.mkdir(parents=True, exist_ok=True)
        work_dir = Path(tempfile.mkdtemp(prefix="acme-", dir=bed.run_dir))
        server = cls(bed.bridge_ip, work_dir, cgroup=f"{bed.slot.cgroup}/acme", cert_validity=cert_validity)
        server.start()
        return server

    # -- what tests use --------------------------------------------------------------------------

    @property
    def directory_url(self) -> str:
        """Pebble's ACME directory, for certbot's --server."""
        return f"https://{self.ip}:{ACME_PORT}/dir"

    @property
    def ca_bundle_pem(self) -> str:
        """The CA of pebble's HTTPS certificate: what REQUESTS_CA_BUNDLE must hold for certbot."""
        return self.ca_bundle_path.read_text()

    def issuing_root_pem(self) -> str:
        """Pebble's issuing root (new at every start): the trust anchor of what it issues."""
        return self._management_pem("roots/0")

    def issuing_intermediate_pem(self) -> str:
        """The intermediate that signs the certificates pebble issues (their issuer)."""
        return self._management_pem("intermediates/0")

    def point(self, domain: str, ip: str) -> None:
        """Make DOMAIN resolve (for pebble's validation) to IP only, replacing any earlier answer."""
        ipaddress.IPv4Address(ip)  # raises on anything else
        self.unpoint(domain)
        self._dns_management("add-a", {"host": domain, "addresses": [ip]})

    def unpoint(self, domain: str) -> None:
        """DOMAIN gets no answer again."""
        self._dns_management("clear-a", {"host": domain})

    # -- start and stop --------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Make the HTTPS certificate, start both, return once pebble serves its directory."""
        for tool in (PEBBLE, CHALLTESTSRV):
            if not os.access(tool, os.X_OK):
                raise TestbedError(f"{tool} missing; install it with: apt-get install -y pebble")
        try:
            config = self._prepare()
            launcher: list[str] = []
            if self.cgroup is not None:
                launcher = cgroups.launcher(cgroups.create(self.cgroup))
            self._challtestsrv = _spawn(
                "pebble-challtestsrv",
                [
                    *launcher, CHALLTESTSRV,
                    "-dns01", f"{self.ip}:{DNS_PORT}",
                    "-management", f"{self.ip}:{DNS_MANAGEMENT_PORT}",
                    # Only the DNS: the servers answer the challenges themselves.
                    "-http01", "", "-https01", "", "-tlsalpn01", "",
                    # A name nobody pointed gets no address (not the test machine's loopback).
                    "-defaultIPv4", "", "-defaultIPv6", "",
                ],
                self.challtestsrv_log,
            )  # fmt: skip
            deadline = time.monotonic() + timeout
            self._wait_port(self._challtestsrv, DNS_MANAGEMENT_PORT, deadline, self.challtestsrv_log)
            self._wait_port(self._challtestsrv, DNS_PORT, deadline, self.challtestsrv_log)
            self._pebble = _spawn(
                "pebble",
                [*launcher, PEBBLE, "-config", str(config), "-dnsserver", f"{self.ip}:{DNS_PORT}"],
                self.pebble_log,
                env=PEBBLE_ENV,
            )
            self._wait_directory(deadline)
        except BaseException:
            self.stop()
            raise
        log.info("ACME server up: %s (pebble pid %d, pebble-challtestsrv pid %d)",
                 self.directory_url, self._pebble.pid, self._challtestsrv.pid)  # fmt: skip

    def stop(self) -> None:
        """SIGTERM both by PID, then remove their cgroup (killing anything left in it)."""
        for name, proc in (("pebble", self._pebble), ("pebble-challtestsrv", self._challtestsrv)):
            if proc is not None:
                stop_popen(proc, name, timeout=10)
        self._pebble = self._challtestsrv = None
        if self.cgroup is not None:
            cgroups.destroy(self.cgroup)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in (self._pebble, self._challtestsrv) if p is not None and p.poll() is None]

    def _prepare(self) -> Path:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        ca_pem, cert_pem, key_pem = _https_certificate(self.ip)
        self.ca_bundle_path.write_bytes(ca_pem)
        (self.work_dir / "https-cert.pem").write_bytes(cert_pem)
        key_path = self.work_dir / "https-key.pem"
        key_path.touch(mode=0o600)
        key_path.write_bytes(key_pem)
        config = self.work_dir / "pebble-config.json"
        config.write_text(
            json.dumps(
                {
                    "pebble": {
                        "listenAddress": f"{self.ip}:{ACME_PORT}",
                        "managementListenAddress": f"{self.ip}:{MANAGEMENT_PORT}",
                        "certificate": str(self.work_dir / "https-cert.pem"),
                        "privateKey": str(key_path),
                        "httpPort": HTTP01_PORT,
                        "tlsPort": TLSALPN01_PORT,
                        "ocspResponderURL": "",
                        "externalAccountBindingRequired": False,
                        "certificateValidityPeriod": self.cert_validity,
                    }
                },
                indent=2,
            )
        )
        self._ssl = ssl.create_default_context(cadata=ca_pem.decode())
        return config

    # -- waiting and talking -----------------------------------------------------------------------

    def _wait_port(self, proc: subprocess.Popen[bytes], port: int, deadline: float, log_path: Path) -> None:
        while True:
            _check_running(proc, log_path)
            try:
                with socket.create_connection((self.ip, port), timeout=1):
                    return
            except OSError:
                if time.monotonic() >= deadline:
                    raise TestbedError(f"nothing listens on {self.ip}:{port}; see {log_path}") from None
                time.sleep(0.05)

    def _wait_directory(self, deadline: float) -> None:
        assert self._pebble is not None
        while True:
            _check_running(self._pebble, self.pebble_log)
            try:
                directory = json.loads(self._get(self.directory_url))
                if "newOrder" in directory:
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() >= deadline:
                raise TestbedError(
                    f"pebble serves no directory at {self.directory_url}; see {self.pebble_log}"
                )
            time.sleep(0.05)

    def _get(self, url: str) -> str:
        with urllib.request.urlopen(url, timeout=5, context=self._ssl) as response:  # noqa: S310 (https)
            return str(response.read().decode())

    def _management_pem(self, path: str) -> str:
        if path not in self._management_cache:
            self._management_cache[path] = self._get(f"https://{self.ip}:{MANAGEMENT_PORT}/{path}")
        return self._management_cache[path]

    def _dns_management(self, action: str, payload: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"http://{self.ip}:{DNS_MANAGEMENT_PORT}/{action}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (our own URL)
                response.read()
        except urllib.error.HTTPError as exc:
            raise TestbedError(f"pebble-challtestsrv refused /{action} {payload}: {exc}") from exc


def _spawn(
    name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    # A clean environment: no PEBBLE_* of the caller's (PEBBLE_VA_ALWAYS_VALID would skip validation).
    clean = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **(env or {})}
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=clean,
            start_new_session=True,  # a Ctrl-C at the terminal is ours to handle
        )  # fmt: skip
    log.info("started %s, pid %d", name, proc.pid)
    return proc


def _check_running(proc: subprocess.Popen[bytes], log_path: Path) -> None:
    if proc.poll() is not None:
        tail = log_path.read_text(errors="replace")[-1500:] if log_path.exists() else "(no output)"
        raise TestbedError(f"{proc.args!r} exited {proc.returncode} at start:\n{tail}")


def _https_certificate(ip: str) -> tuple[bytes, bytes, bytes]:
    """A throwaway CA and, signed by it, a server certificate for IP: (CA PEM, cert PEM, key PEM)."""
    now = datetime.datetime.now(datetime.UTC)
    not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=7)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BrokeForge test ACME HTTPS CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address(ip))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        ca_cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


def _key_usage(signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )
