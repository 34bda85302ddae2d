"""The cached base rootfs every test server boots from (read-only, via overlay).

Built once with mmdebstrap into a temporary directory next to its final place,
customised, then renamed into place, so a crash never leaves a half-built
rootfs that looks complete. Its directory name carries a hash of the recipe
(this module's source and the files it installs), so changing either builds
a new one on the next run; old ones are removed then, unless a running test
bed still uses them (each bed holds a shared flock on its image's in-use lock).
Nothing slot-specific is baked in: the apt proxy and resolver are set at each
boot from the server's default gateway.

Cache layout (CACHE = $BROKEFORGE_TEST_CACHE, default /var/cache/brokeforge-test):
    CACHE/base-<hash>/rootfs/            the Debian tree
    CACHE/base-<hash>/id_ed25519{,.pub}  the key authorised for root on every server
    CACHE/base-<hash>/stamp.json         recipe hash, build time
    CACHE/base-<hash>/in-use.lock        shared-locked by every bed using it
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.testbed.errors import TestbedError
from tests.testbed.procs import log, run

RELEASE = "bookworm"
PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "libpam-systemd", "openssh-server", "sudo",
    "iproute2", "curl", "ca-certificates", "gnupg", "lsb-release", "cron", "python3",
)  # fmt: skip
# Plain http on deb.debian.org for all three, so that apt inside the servers
# works through apt-cacher-ng (which cannot cache https) and the sources look
# like a stock Debian install.
SOURCES = (
    f"deb http://deb.debian.org/debian {RELEASE} main",
    f"deb http://deb.debian.org/debian {RELEASE}-updates main",
    f"deb http://deb.debian.org/debian-security {RELEASE}-security main",
)
FILES_DIR = Path(__file__).parent / "files"
BUILD_TIMEOUT = 1200.0


@dataclass(frozen=True)
class BaseImage:
    """A complete, customised base rootfs and the root SSH key that goes with it."""

    path: Path
    recipe_hash: str

    @property
    def root(self) -> Path:
        return self.path / "rootfs"

    @property
    def key_path(self) -> Path:
        return self.path / "id_ed25519"


def recipe_hash() -> str:
    """Hash of everything that decides the rootfs's content."""
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    for f in sorted(FILES_DIR.iterdir()):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def ensure_base_image(cache_dir: Path) -> tuple[BaseImage, IO[str]]:
    """Return the cached base image, building it first if missing or out of date.

    Also returns an open file holding a shared lock that keeps other beds from
    removing the image; keep it open while servers boot from it.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = recipe_hash()
    image = BaseImage(cache_dir / f"base-{digest[:16]}", digest)
    with _build_lock(cache_dir):
        if _is_complete(image):
            log.info("reusing base rootfs %s", image.path)
        else:
            _remove_other_images(cache_dir, keep=None)
            tmp = image.path.with_name(f"{image.path.name}.tmp-{os.getpid()}")
            started = time.monotonic()
            _build(BaseImage(tmp, digest))
            seconds = time.monotonic() - started
            _write_stamp(tmp, digest, seconds)
            os.rename(tmp, image.path)
            log.info("built base rootfs %s in %.1fs", image.path, seconds)
        hold = (image.path / "in-use.lock").open("a")
        fcntl.flock(hold, fcntl.LOCK_SH)
        _remove_other_images(cache_dir, keep=image.path)
    return image, hold


@contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    # Beds sharing a cache dir build the image once; the others wait.
    with (cache_dir / ".build.lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _is_complete(image: BaseImage) -> bool:
    try:
        stamp = json.loads((image.path / "stamp.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("recipe_hash") == image.recipe_hash
        and (image.root / "usr/lib/systemd/systemd").exists()
        and image.key_path.exists()
    )


def _remove_other_images(cache_dir: Path, keep: Path | None) -> None:
    """Remove half-built and out-of-date images that no running bed uses."""
    for entry in cache_dir.glob("base-*"):
        if entry == keep or not entry.is_dir():
            continue
        if _in_use(entry):
            log.info("keeping old base image %s: a running test bed uses it", entry)
            continue
        log.info("removing old or partial base image %s", entry)
        shutil.rmtree(entry)


def _in_use(image_dir: Path) -> bool:
    lock_path = image_dir / "in-use.lock"
    if not lock_path.exists():
        return False
    with lock_path.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def _write_stamp(path: Path, digest: str, seconds: float) -> None:
    stamp = {"recipe_hash": digest, "built_at": time.time(), "build_seconds": round(seconds, 1)}
    (path / "stamp.json").write_text(json.dumps(stamp, indent=2) + "\n")


def _build(image: BaseImage) -> None:
    image.path.mkdir(parents=True)
    _mmdebstrap(image.root, image.path / "mmdebstrap.log")
    _make_root_key(image.key_path)
    _customise(image.root, image.key_path.with_suffix(".pub").read_text(), image.recipe_hash)


def _mmdebstrap(root: Path, log_path: Path) -> None:
    argv = [
        "mmdebstrap", "--variant=apt", f"--include={','.join(PACKAGES)}",
        RELEASE, str(root), *SOURCES,
    ]  # fmt: skip
    log.info("building base rootfs: %s", " ".join(argv))
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
