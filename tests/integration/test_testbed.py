"""The test bed itself: real servers boot, are distinct, and work like real ones."""

from __future__ import annotations

import fcntl
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.testbed import RELEASES, BootedServer, Image, RemoteCommandError, Testbed, provisioned, rootfs

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


# -- Debian 13 --------------------------------------------------------------------


def test_a_trixie_server_boots_beside_a_bookworm_one(testbed: Testbed) -> None:
    old = testbed.boot("bookworm1")
    new = testbed.boot("trixie1", release="trixie")
    try:
        assert old.release == "bookworm" and new.release == "trixie"
        versions = {srv.release: srv.run(". /etc/os-release && echo $VERSION_ID").stdout.strip()
                    for srv in (old, new)}  # fmt: skip
        assert versions == {"bookworm": "12", "trixie": "13"}
        assert new.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")
        assert new.run("hostname").stdout.strip() == "trixie1"
        assert new.run("sudo -n true").stderr == ""
        assert new.run("loginctl show-session $XDG_SESSION_ID -p Active").stdout.strip() == "Active=yes"
        assert "trixie-security" in new.run("cat /etc/apt/sources.list").stdout
        assert f"http://{testbed.bridge_ip}:3142" in new.run("apt-config dump Acquire::http::Proxy").stdout
        assert new.run("cat /etc/machine-id").stdout.strip() not in (
            "",
            old.run("cat /etc/machine-id").stdout,
        )
        assert new.host_public_key() != old.host_public_key()
        assert testbed.base_image("trixie").path.name.startswith("base-trixie-")
        assert testbed.base_image("bookworm").path != testbed.base_image("trixie").path
    finally:
        old.stop()
        new.stop()


def test_each_release_has_its_own_base_image_name(tmp_path: Path) -> None:
    names = {release: rootfs.base_image_for(tmp_path, release).path.name for release in RELEASES}
    assert names["bookworm"].startswith("base-bookworm-") and names["trixie"].startswith("base-trixie-")
    assert len(set(names.values())) == len(RELEASES)
    with pytest.raises(ValueError, match="unknown Debian release"):
        rootfs.base_image_for(tmp_path, "sid")


# -- the provisioned image ------------------------------------------------------------


def _authorized(srv: BootedServer, user_home: str) -> list[str]:
    lines = srv.run(f"cat {user_home}/.ssh/authorized_keys 2>/dev/null || true").stdout.splitlines()
    return [" ".join(line.split()[:2]) for line in lines if line.strip()]


def test_servers_from_the_provisioned_image_are_ready_and_distinct(testbed: Testbed) -> None:
    image = testbed.provisioned_image()
    assert image.path.name.startswith("provisioned-bookworm-") and image.stamp()["digest"] == image.digest
    web1, web2 = testbed.boot_many(["ready1", "ready2"], provisioned=True)
    try:
        bed_key = " ".join(testbed.root_key_path.with_suffix(".pub").read_text().split()[:2])
        for srv in (web1, web2):
            assert srv.provisioned and srv.image == image
            assert srv.run("systemctl is-active nginx php8.2-fpm").stdout.split() == ["active", "active"]
            assert "Status: active" in srv.run("ufw status").stdout
            assert srv.run("hostname").stdout.strip() == srv.hostname
            assert srv.run("cat /etc/hostname").stdout.strip() == srv.hostname
            # Only the test bed's key lets anyone in: none of the build panel's.
            assert _authorized(srv, "/root") == [bed_key]
            assert _authorized(srv, "/home/brokeforge") == []
            assert srv.run("id -u brokeforge").returncode == 0
        assert web1.host_public_key() != web2.host_public_key()
        ids = {srv.run("cat /etc/machine-id").stdout.strip() for srv in (web1, web2)}
        assert len(ids) == 2 and "" not in ids
        assert not (image.root / "etc/ssh/ssh_host_ed25519_key").exists()
        assert (image.root / "etc/machine-id").read_text() == ""
    finally:
        web1.stop()
        web2.stop()


def _fake_base(path: Path) -> Image:
    """A tiny stand-in for a base image: enough files for the builder and the cleaner."""
    base = Image(path, "f" * 64, "bookworm", "base")
    root = base.root
    for d in ("etc/ssh", "root/.ssh", "var/log/journal", "var/lib/apt/lists", "tmp"):
        (root / d).mkdir(parents=True)
    (root / "etc/machine-id").write_text("")
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n")
    bed_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBedBedBedBedBedBedBedBedBedBedBedBedBedBedBed testbed"
    (root / "root/.ssh/authorized_keys").write_text(bed_key + "\n")
    base.key_path.write_text("private\n")
    base.key_path.with_suffix(".pub").write_text(bed_key + "\n")
    return base


def _fake_provision(calls: list[Path]) -> Callable[[Image], None]:
    def provision(tmp: Image) -> None:
        """What a boot and the product leave behind, without booting anything."""
        calls.append(tmp.path)
        root = tmp.root
        (root / "etc/ssh/ssh_host_ed25519_key").write_text("host key\n")
        (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
        (root / "etc/hostname").write_text("image-bookworm\n")
        with (root / "etc/hosts").open("a") as hosts:
            hosts.write("127.0.1.1\timage-bookworm\n")
        panel_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPanelPanelPanelPanelPanelPanelPanelPanelPan panel"
        with (root / "root/.ssh/authorized_keys").open("a") as keys:
            keys.write(panel_key + "\n")
        (root / "home/brokeforge/.ssh").mkdir(parents=True)
        (root / "home/brokeforge/.ssh/authorized_keys").write_text(panel_key.replace("Panel", "Users") + "\n")
        (root / "var/log/journal/0123").mkdir()
        (root / "var/log/syslog").write_text("lots\n")
        (root / "var/lib/apt/lists/deb.debian.org_Packages").write_text("lists\n")
        (root / "var/cache/apt/archives").mkdir(parents=True)
        (root / "var/cache/apt/archives/nginx_1.22_amd64.deb").write_text("deb\n")
        (root / "etc/provisioned").write_text("yes\n")

    return provision


def test_the_provisioned_image_is_reused_until_an_input_changes(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    base = _fake_base(tmp_path / "base")
    inputs = [tmp_path / "inputs/installer.py", tmp_path / "inputs/site.conf.j2"]
    inputs[0].parent.mkdir()
    for f in inputs:
        f.write_text(f"{f.name} v1\n")
    calls: list[Path] = []
    provision = _fake_provision(calls)

    first, hold = provisioned.ensure_provisioned_image(cache, base, provision, inputs)
    assert len(calls) == 1 and first.path.name.startswith("provisioned-bookworm-")
    assert (first.root / "etc/provisioned").exists() and first.key_path.exists()
    stamp = first.stamp_path.read_text()
    mtime = first.stamp_path.stat().st_mtime_ns
    # What must not be shared was cleaned out.
    root = first.root
    assert list((root / "etc/ssh").iterdir()) == []
    assert (root / "etc/machine-id").read_text() == ""
    assert not (root / "etc/hostname").exists() and "127.0.1.1" not in (root / "etc/hosts").read_text()
    assert (root / "root/.ssh/authorized_keys").read_text() == base.key_path.with_suffix(".pub").read_text()
    assert (root / "home/brokeforge/.ssh/authorized_keys").read_text() == ""
    assert list((root / "var/log/journal").iterdir()) == []
    assert (root / "var/log/syslog").read_text() == ""
    assert (root / "var/lib/apt/lists/deb.debian.org_Packages").exists()  # kept: saves the re-fetch
    assert list((root / "var/cache/apt/archives").glob("*.deb")) == []

    # Reused, and taken without waiting for the build lock (another bed may be building).
    with (cache / ".build.lock").open("w") as other_bed, ThreadPoolExecutor(1) as pool:
        fcntl.flock(other_bed, fcntl.LOCK_EX)
        reuse = pool.submit(provisioned.ensure_provisioned_image, cache, base, provision, inputs)
        try:
            again, hold_again = reuse.result(timeout=30)
        finally:
            other_bed.close()  # unblocks the call if it waited after all
    assert again == first and len(calls) == 1
    assert first.stamp_path.read_text() == stamp and first.stamp_path.stat().st_mtime_ns == mtime

    inputs[1].write_text("site.conf.j2 v2\n")
    rebuilt, hold_rebuilt = provisioned.ensure_provisioned_image(cache, base, provision, inputs)
    assert len(calls) == 2 and rebuilt.path != first.path and rebuilt.digest != first.digest
    assert first.path.exists(), "removed while a bed still held it"
    hold.close()
    hold_again.close()
    _, hold_again = provisioned.ensure_provisioned_image(cache, base, provision, inputs)
    assert len(calls) == 2
    assert not first.path.exists(), "the out-of-date image was kept after no bed held it"
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == [rebuilt.path.name]
    hold_again.close()
    hold_rebuilt.close()

    # A new or removed input file changes the key too; so does the base.
    extra = tmp_path / "inputs/new.py"
    extra.write_text("new\n")
    assert provisioned.provisioned_image_for(cache, base, [*inputs, extra]) != rebuilt
    other_base = Image(base.path, "e" * 64, "bookworm", "base")
    assert provisioned.provisioned_image_for(cache, other_base, inputs) != rebuilt


def test_a_failed_provisioned_build_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    base = _fake_base(tmp_path / "base")

    def fail(tmp: Image) -> None:
        raise RuntimeError("provisioning failed")

    with pytest.raises(RuntimeError, match="provisioning failed"):
        provisioned.ensure_provisioned_image(cache, base, fail, [])
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".")] == []


def test_the_default_inputs_are_the_provisioning_code() -> None:
    inputs = provisioned.product_inputs()
    names = {str(p.relative_to(provisioned.REPO)) for p in inputs}
    assert any(n.startswith("brokeforge/packages/") and n.endswith(".j2") for n in names)
    assert any(n.startswith("brokeforge/lib/") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
