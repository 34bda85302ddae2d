"""The test bed itself: real servers boot, are distinct, and work like real ones."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.testbed import BootedServer, RemoteCommandError, Testbed

pytestmark = pytest.mark.servers


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_two_servers_boot_at_once_and_are_distinct(testbed: Testbed) -> None:
    web1, web2 = testbed.boot_many(["web1", "web2"])
    try:
        for srv in (web1, web2):
            state = srv.run("systemctl is-system-running", check=False).stdout.strip()
            assert state in ("running", "degraded")
            assert srv.run("hostname").stdout.strip() == srv.hostname
            assert srv.run("cat /etc/hostname").stdout.strip() == srv.hostname
            hosts = srv.run("getent hosts 127.0.1.1").stdout.split()
            assert srv.hostname in hosts
            sudo = srv.run("sudo -n true")
            assert sudo.stderr == ""  # no "unable to resolve host"
            assert srv.run("whoami").stdout.strip() == "root"
            # A real login session, which needs libpam-systemd.
            assert srv.run("loginctl show-session $XDG_SESSION_ID -p Active").stdout.strip() == ("Active=yes")
        assert web1.ip != web2.ip
        assert web1.host_public_key() != web2.host_public_key()
        machine_ids = {srv.run("cat /etc/machine-id").stdout.strip() for srv in (web1, web2)}
        assert len(machine_ids) == 2 and "" not in machine_ids
        # The servers share a LAN, as rented servers in one network would.
        banner = web1.run(f"timeout 5 bash -c 'exec 3<>/dev/tcp/{web2.ip}/22; head -c4 <&3'")
        assert banner.stdout == "SSH-"
    finally:
        web1.stop()
        web2.stop()


def test_apt_works_through_the_cache(testbed: Testbed, debian_server: BootedServer) -> None:
    srv = debian_server
    sources = srv.run("cat /etc/apt/sources.list").stdout
    assert "http://deb.debian.org/debian " in sources
    assert "http://deb.debian.org/debian-security " in sources
    proxy = srv.run("apt-config dump Acquire::http::Proxy").stdout
    assert f"http://{testbed.bridge_ip}:3142" in proxy
    update = srv.run("apt-get update")
    assert "deb.debian.org" in update.stdout
    assert "Err:" not in update.stdout and not update.stderr.startswith("W:")
    srv.run("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends hello")
    assert srv.run("hello").stdout.strip() == "Hello, world!"


def test_servers_have_no_route_out(debian_server: BootedServer) -> None:
    # Name lookups fail fast (the resolver is the bridge IP, where nothing
    # answers DNS), so nothing ever leaves the bridge.
    result = debian_server.run("curl --noproxy '*' -sS --max-time 10 http://deb.debian.org/", check=False)
    assert result.returncode != 0


def test_regenerate_host_keys_changes_fingerprint(debian_server: BootedServer) -> None:
    before = debian_server.host_public_key()
    debian_server.regenerate_host_keys()
    after = debian_server.host_public_key()
    assert before != after
    on_disk = debian_server.run("cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()
    assert after == f"{on_disk[0]} {on_disk[1]}"
    debian_server.run("true")  # the harness still gets in


def test_failed_command_reports_its_output(debian_server: BootedServer) -> None:
    with pytest.raises(RemoteCommandError) as failure:
        debian_server.run("echo to-stderr >&2; exit 3")
    assert failure.value.returncode == 3
    assert "to-stderr" in str(failure.value) and debian_server.hostname in str(failure.value)
    assert debian_server.run("exit 4", check=False).returncode == 4


def test_unused_ip_is_unreachable(testbed: Testbed) -> None:
    with pytest.raises(OSError):
        socket.create_connection((testbed.unused_ip(), 22), timeout=3).close()


def test_stop_removes_the_server(testbed: Testbed) -> None:
    srv = testbed.boot("shortlived")
    pid, netns = srv.nspawn_pid, srv.netns
    srv.stop()
    assert not _pid_alive(pid)
    assert not Path(f"/run/netns/{netns}").exists()
    assert srv not in testbed.servers
    srv.stop()  # idempotent


def test_a_second_bed_runs_beside_the_first(testbed: Testbed, tmp_path: Path) -> None:
    # Two test runs on one machine (or pytest-xdist workers) each get a slot.
    with Testbed(cache_dir=testbed.cache_dir, run_dir=tmp_path / "bed2") as other:
        assert other.slot.index != testbed.slot.index
        bridge = other.slot.bridge
        srv = other.boot("otherbed")
        assert srv.ip.startswith(other.bridge_ip.rsplit(".", 1)[0] + ".")
        proxy = srv.run("apt-config dump Acquire::http::Proxy").stdout
        assert f"http://{other.bridge_ip}:3142" in proxy
    assert not Path(f"/sys/class/net/{bridge}").exists()
