"""End to end: a real Debian server added through the CLI, provisioned by real workers.

From scratch on purpose: the servers boot from the BASE images (Debian 12 and Debian 13), not the
provisioned image, which is built by this very path.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from brokeforge.ssh import fingerprint
from tests.e2e.conftest import Panel
from tests.testbed import RELEASES, BootedServer
from tests.testbed.panel import PHP_VERSIONS
from tests.testbed.panel import add_and_connect as _add_and_connect

pytestmark = pytest.mark.servers

SNAPSHOT = (
    "md5sum /etc/nginx/sites-available/default /var/www/default/public/index.html "
    "/etc/sudoers.d/90-brokeforge /root/.ssh/authorized_keys /home/brokeforge/.ssh/authorized_keys; "
    "ufw status verbose; getent passwd brokeforge"
)


def add_and_connect(panel: Panel, srv: BootedServer, name: str) -> dict[str, Any]:
    """`servers add` with the PHP the server's Debian ships, then what a user does by hand:
    paste the one-line command into a root shell on the server."""
    return _add_and_connect(panel, srv, name, PHP_VERSIONS[srv.release])


def dpkg_version(srv: BootedServer, package: str) -> str:
    return srv.run(f"dpkg-query -W -f='${{Version}}' {package}").stdout.strip()


def assert_server_is_provisioned(panel: Panel, srv: BootedServer, server_id: int, name: str) -> None:
    page = urllib.request.urlopen(f"http://{srv.ip}/", timeout=10).read().decode()
    assert f"<h1>{name}</h1>" in page
    ufw = srv.run("ufw status").stdout
    assert "Status: active" in ufw
    for port in ("22/tcp", "80/tcp", "443/tcp"):
        assert port in ufw, ufw
    # Debian 12 ships PHP 8.2, Debian 13 PHP 8.4.
    fpm = f"php{PHP_VERSIONS[srv.release]}-fpm"
    assert srv.run(f"systemctl is-active nginx {fpm}").stdout.split() == ["active", "active"]

    shown = panel.json("servers", "show", str(server_id))
    assert shown["provision_status"] == "completed"
    assert shown["php_version"] == PHP_VERSIONS[srv.release]
    assert shown["os_version"] == {"bookworm": "12", "trixie": "13"}[srv.release]
    assert shown["host_key_fingerprint"] == fingerprint(srv.host_public_key())
    packages = {p["name"]: p for p in shown["packages"]}
    assert {"nginx", "php", "firewall_ufw"} <= packages.keys()
    for package in packages.values():
        debian_package = package["configuration"].get("debian_package")
        if debian_package:
            assert package["version"] == dpkg_version(srv, debian_package), package


@pytest.mark.parametrize("debian_server", RELEASES, indirect=True)
def test_provision_a_fresh_server_then_again_changes_nothing(
    panel: Panel, debian_server: BootedServer
) -> None:
    assert not debian_server.provisioned
    added = add_and_connect(panel, debian_server, "e2e-web")
    server_id = str(added["id"])
    panel.start_worker()

    verified = panel.cli("servers", "verify", server_id)
    assert fingerprint(debian_server.host_public_key()) in verified.stdout
    panel.cli("servers", "provision", server_id, "--wait")
    assert_server_is_provisioned(panel, debian_server, int(server_id), "e2e-web")

    before_server = debian_server.run(SNAPSHOT).stdout
    before_panel = panel.json("servers", "show", server_id)["packages"]
    panel.cli("servers", "provision", server_id, "--wait")
    assert debian_server.run(SNAPSHOT).stdout == before_server
    after_panel = panel.json("servers", "show", server_id)["packages"]
    strip = lambda rows: [{k: v for k, v in r.items() if "_at" not in k} for r in rows]  # noqa: E731
    assert strip(after_panel) == strip(before_panel)

    # The server is rebuilt behind the panel's back: its host key changes and is refused.
    debian_server.regenerate_host_keys()
    refused = panel.cli("servers", "verify", server_id, check=False)
    assert refused.returncode == 1
    assert fingerprint(debian_server.host_public_key()) in refused.stdout + refused.stderr
    assert panel.json("servers", "show", server_id)["host_key_fingerprint"] != fingerprint(
        debian_server.host_public_key()
    )
