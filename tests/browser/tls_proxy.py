"""A TLS reverse proxy in front of the panel, as the README tells people to run one: Debian's nginx
with the server block from the README, a certificate from a CA the test makes, and a Chromium
profile that trusts that CA (and nothing else new) through its NSS database."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.workers import REPO

NGINX = "/usr/sbin/nginx"
HOST = "panel.brokeforge.test"  # .test: reserved, never a real name


@dataclass(frozen=True)
class Certificates:
    ca: Path
    certificate: Path
    key: Path
    # A HOME for Chromium whose ~/.pki/nssdb trusts the CA for websites.
    browser_home: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path, host: str = HOST) -> Certificates:
    """A throwaway CA, and a certificate for HOST that it signs (valid two days)."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=BrokeForge test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "panel.key", "-out", "panel.csr", "-subj", f"/CN={host}",
        cwd=directory,
    )  # fmt: skip
    (directory / "panel.ext").write_text(
        f"subjectAltName=DNS:{host}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", "panel.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "panel.pem", "-days", "2", "-extfile", "panel.ext",
        cwd=directory,
    )  # fmt: skip
    home = directory / "browser-home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    # "C,,": a CA trusted to issue website certificates.
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "BrokeForge test CA", "-t", "C,,",
         "-i", str(directory / "ca.pem")],
        check=True,
    )  # fmt: skip
    return Certificates(directory / "ca.pem", directory / "panel.pem", directory / "panel.key", home)


def readme_server_block() -> str:
    """The nginx server block of the README's "Running behind HTTPS" section, as documented."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Running behind HTTPS", 1)[1]
    match = re.search(r"```nginx\n(.*?)```", section, re.DOTALL)
    assert match, "README: no ```nginx block under Running behind HTTPS"
    return match.group(1)


def _replace(text: str, old: str, new: str) -> str:
    # Every placeholder must be there: a README edited out of step with this test fails it.
    assert old in text, f"README nginx block: {old!r} not found"
    return text.replace(old, new)


def nginx_config(work: Path, certs: Certificates, listen_port: int, panel_port: int) -> str:
    """nginx.conf for a proxy on 127.0.0.1:LISTEN_PORT in front of the panel on PANEL_PORT, with
    everything (pid, logs, temp files) under WORK and the README's server block as it is."""
    server = readme_server_block()
    server = _replace(server, "listen [::]:443 ssl http2;\n", "")
    server = _replace(server, "listen 443 ssl http2;", f"listen 127.0.0.1:{listen_port} ssl http2;")
    server = _replace(server, "/etc/letsencrypt/live/panel.example.com/fullchain.pem", str(certs.certificate))
    server = _replace(server, "/etc/letsencrypt/live/panel.example.com/privkey.pem", str(certs.key))
    server = _replace(server, "server_name panel.example.com;", f"server_name {HOST};")
    server = _replace(server, "http://127.0.0.1:8000", f"http://127.0.0.1:{panel_port}")
    temp = {name: work / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""
pid {work}/nginx.pid;
error_log {work}/error.log info;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    # Workers run as nobody and cannot write into the test's private directories: keep
    # proxied responses in memory (they are small here).
    proxy_max_temp_file_size 0;
{server}
}}
"""


@dataclass
class RunningNginx:
    process: subprocess.Popen[bytes]
    work: Path
    url: str

    def stop(self) -> None:
        """SIGTERM to the master by PID: it stops its workers and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_nginx(work: Path, certs: Certificates, listen_port: int, panel_port: int) -> RunningNginx:
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(nginx_config(work, certs, listen_port, panel_port))
    command = [NGINX, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, f"nginx -t:\n{checked.stderr}\n{conf.read_text()}"
    log = (work / "nginx.out").open("wb")
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    nginx = RunningNginx(process, work, f"https://{HOST}:{listen_port}")
    try:
        _wait_for_port(process, listen_port, work / "error.log")
    except BaseException:
        nginx.stop()
        raise
    return nginx


def _wait_for_port(process: subprocess.Popen[bytes], port: int, error_log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited {process.returncode}:\n{error_log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
