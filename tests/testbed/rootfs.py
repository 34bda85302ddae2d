"""The cached base images every test server boots from (read-only, via overlay).

One per Debian release (bookworm = Debian 12, trixie = Debian 13), built the
same way: mmdebstrap from Debian's archive into a temporary directory, then
customised and renamed into place by images.ensure_image (see images.py for
the cache layout, locking and removal of old images). An image's digest
hashes the recipe (this module's source, the files it installs, the release),
so changing any of them builds a new one on the next run. Nothing
slot-specific is baked in: the apt proxy and resolver are set at each boot
from the server's default gateway.

What differs between the releases, checked when trixie was added: nothing in
the recipe. The same package list exists in both (trixie's lsb-release is a
"minimal implementation" package of the same name); both read
/etc/ssh/sshd_config.d/*.conf; trixie's own sshd-keygen.service only runs on
a first boot, so our per-boot host key unit is still needed; trixie's systemd
257 boots under this host's nspawn 252 (cgroup v1 "hybrid") and reaches
`running`, marking itself tainted "cgroupsv1"; its tmp.mount gives /tmp a
tmpfs, as on a real trixie server.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import IO

from tests.testbed import images
from tests.testbed.errors import TestbedError
from tests.testbed.images import Image
from tests.testbed.procs import log, run

PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "libpam-systemd", "openssh-server", "sudo",
    "iproute2", "curl", "ca-certificates", "gnupg", "lsb-release", "cron", "python3",
)  # fmt: skip
FILES_DIR = Path(__file__).parent / "files"
BUILD_TIMEOUT = 1200.0

# The type servers and beds pass around; kept under its first name.
BaseImage = Image


def sources(release: str) -> tuple[str, ...]:
    # Plain http on deb.debian.org for all three, so that apt inside the servers
    # works through apt-cacher-ng (which cannot cache https) and the sources look
    # like a stock Debian install.
    return (
        f"deb http://deb.debian.org/debian {release} main",
        f"deb http://deb.debian.org/debian {release}-updates main",
        f"deb http://deb.debian.org/debian-security {release}-security main",
    )


def recipe_hash(release: str = images.DEFAULT_RELEASE) -> str:
    """Hash of everything that decides the rootfs's content."""
    images.check_release(release)
    h = hashlib.sha256(f"release {release}\0".encode())
    h.update(Path(__file__).read_bytes())
    for f in sorted(FILES_DIR.iterdir()):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def base_image_for(cache_dir: Path, release: str = images.DEFAULT_RELEASE) -> Image:
    """Where the base image of RELEASE is (or will be) cached; builds nothing."""
    return images.image_for(cache_dir, "base", release, recipe_hash(release))


def ensure_base_image(
    cache_dir: Path, release: str = images.DEFAULT_RELEASE, apt_proxy: str | None = None
) -> tuple[Image, IO[str]]:
    """Return the cached base image of RELEASE, building it first if missing or out of date.

    APT_PROXY (the bed's apt-cacher-ng, "http://IP:PORT") is where mmdebstrap
    downloads through, so a rebuild after a recipe change reuses the packages
    already cached; it leaves no trace in the image. Also returns an open file
    holding a shared lock that keeps other beds from removing the image; keep
    it open while servers boot from it.
    """
    image = base_image_for(cache_dir, release)

    def build(tmp: Image) -> None:
        _mmdebstrap(release, tmp.root, tmp.path / "mmdebstrap.log", apt_proxy)
        _make_root_key(tmp.key_path)
        _customise(tmp.root, tmp.key_path.with_suffix(".pub").read_text(), tmp.digest)

    hold = images.ensure_image(cache_dir, image, build)
    return image, hold


def _mmdebstrap(release: str, root: Path, log_path: Path, apt_proxy: str | None) -> None:
    proxy = [f'--aptopt=Acquire::http::Proxy "{apt_proxy}"'] if apt_proxy else []
    argv = [
        "mmdebstrap", "--variant=apt", f"--include={','.join(PACKAGES)}", *proxy,
        release, str(root), *sources(release),
    ]  # fmt: skip
    log.info("building the %s base rootfs: %s", release, " ".join(argv))
    with log_path.open("wb") as out:
        result = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise TestbedError(f"mmdebstrap exited {result.returncode}:\n{tail}")


def _make_root_key(key_path: Path) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "brokeforge-testbed",
         "-f", str(key_path)])  # fmt: skip
    key_path.chmod(0o600)


def _customise(root: Path, public_key: str, digest: str) -> None:
    # mmdebstrap keeps its --aptopt file: the build's proxy must not stay.
    (root / "etc/apt/apt.conf.d/99mmdebstrap").unlink(missing_ok=True)
    _configure_ssh(root, public_key)
    _configure_identity(root)
    _disable_apt_timers(root)
    (root / "etc/brokeforge-testbed").write_text(f"recipe {digest}\n")


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _enable(root: Path, unit: str, wanted_by: str) -> None:
    """Install files/UNIT and enable it as `systemctl enable` would."""
    _write(root / "etc/systemd/system" / unit, (FILES_DIR / unit).read_text())
    link = root / "etc/systemd/system" / f"{wanted_by}.wants" / unit
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(f"/etc/systemd/system/{unit}")


def _configure_ssh(root: Path, public_key: str) -> None:
    # No host keys in the image: each boot generates its own (unique per server).
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    _enable(root, "brokeforge-ssh-hostkeys.service", wanted_by="ssh.service")
    _write(root / "etc/ssh/sshd_config.d/brokeforge-testbed.conf",
           "PermitRootLogin prohibit-password\n")  # fmt: skip
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    _write(ssh_dir / "authorized_keys", public_key, mode=0o600)


def _configure_identity(root: Path) -> None:
    # Empty (not missing) machine-id: each boot gets a fresh one and systemd
    # does not treat it as a first boot (no preset-all).
    _write(root / "etc/machine-id", "", mode=0o444)
    # mmdebstrap copies the build host's hostname and resolv.conf. Without
    # /etc/hostname systemd keeps the name nspawn gives each boot; the boot
    # setup unit writes it back to /etc/hostname and /etc/hosts and replaces
    # resolv.conf.
    (root / "etc/hostname").unlink(missing_ok=True)
    _write(root / "etc/hosts",
           "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
           "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n")  # fmt: skip
    resolv = root / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    _write(resolv, "# set at boot by brokeforge-boot-setup\n")
    _write(root / "usr/local/sbin/brokeforge-boot-setup",
           (FILES_DIR / "brokeforge-boot-setup").read_text(), mode=0o755)  # fmt: skip
    _enable(root, "brokeforge-boot-setup.service", wanted_by="sysinit.target")


def _disable_apt_timers(root: Path) -> None:
    # Disabled (not masked) so tests never race a background apt run for the
    # dpkg lock; product code can still enable them like on a real server.
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        (root / "etc/systemd/system/timers.target.wants" / timer).unlink(missing_ok=True)
