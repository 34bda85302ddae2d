"""The cached provisioned image: a base image after the PRODUCT provisioned it.

A service's end-to-end test needs a provisioned server (nginx, PHP-FPM, ufw,
the brokeforge user) to start from; provisioning from scratch costs a minute
of apt. So once per change of the provisioning code, the test bed:

1. copies the base rootfs into a temporary image directory (``cp -a``; the
   base is ~300 MB, ~2 s on ext4) with the base's root SSH key;
2. boots that copy *writable* (no ``--volatile``) as an ordinary test server
   and lets the provisioner drive the product through its CLI (a throwaway
   panel + worker: add, connect command as root, verify, provision --wait);
3. powers it off cleanly (SIGTERM to nspawn; the container's systemd stops
   every service and syncs) and requires nspawn to exit 0;
4. cleans out what must not be shared (see ``clean_rootfs``) and lets
   images.ensure_image write the stamp and rename it into place.

A full copy, not an overlayfs layer over the base: the image then stands on
its own (removing or rebuilding the base does not break it), servers boot it
with ``--volatile=overlay`` exactly like a base, and no overlay mount has to
outlive a bed or be cleaned up after a crash. It costs ~0.5 GB of disk per
image.

The digest (cache key) hashes the base image's digest, this module's and the
provisioner's source, and the path and content of every input file: by
default every file under brokeforge/packages/ and brokeforge/lib/ (the
provisioning code and templates; bytecode skipped). Change any of them and
the next run builds a new image (the old one is removed once no bed holds it).
Inputs and the provision step are parameters, so tests exercise reuse and
invalidation on a tiny fake image.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from tests.testbed import images
from tests.testbed.errors import TestbedError
from tests.testbed.images import Image
from tests.testbed.procs import log

REPO = Path(__file__).resolve().parents[2]
INPUT_DIRS = (REPO / "brokeforge" / "packages", REPO / "brokeforge" / "lib")
RECIPE_FILES = (Path(__file__), Path(__file__).with_name("panel.py"))

# Provisions the image being built, given as an Image whose rootfs and key are
# in place; returns with the rootfs cleanly shut down.
Provision = Callable[[Image], None]


def product_inputs(dirs: Iterable[Path] = INPUT_DIRS) -> list[Path]:
    """Every file under DIRS that decides what provisioning does, sorted."""
    found: list[Path] = []
    for d in dirs:
        found += [
            p for p in d.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
        ]  # fmt: skip
    return sorted(found)


def provisioned_digest(base: Image, inputs: Sequence[Path]) -> str:
    h = hashlib.sha256(f"provisioned from {base.kind}-{base.release} {base.digest}\0".encode())
    for f in RECIPE_FILES:
        h.update(f.read_bytes() + b"\0")
    for f in sorted(inputs):
        name = f.relative_to(REPO) if f.is_relative_to(REPO) else f
        h.update(f"{name}\0".encode() + f.read_bytes() + b"\0")
    return h.hexdigest()


def provisioned_image_for(cache_dir: Path, base: Image, inputs: Sequence[Path] | None = None) -> Image:
    """Where the provisioned image for BASE and INPUTS is (or will be) cached; builds nothing."""
    digest = provisioned_digest(base, product_inputs() if inputs is None else inputs)
    return images.image_for(cache_dir, "provisioned", base.release, digest)


def ensure_provisioned_image(
    cache_dir: Path,
    base: Image,
    provision: Provision,
    inputs: Sequence[Path] | None = None,
) -> tuple[Image, IO[str]]:
    """The provisioned image for BASE and INPUTS (default: product_inputs()), built if missing.

    The caller holds BASE. Returns the image and an open file holding a shared
    lock on it (close it to release), as rootfs.ensure_base_image does.
    """
    image = provisioned_image_for(cache_dir, base, inputs)

    def build(tmp: Image) -> None:
        log.info("building %s from %s", image.path.name, base.path.name)
        copy_tree(base.root, tmp.root)
        for key in (base.key_path, base.key_path.with_suffix(".pub")):
            copy_tree(key, tmp.path / key.name)
        provision(tmp)
        clean_rootfs(tmp.root, keep_root_key=tmp.key_path.with_suffix(".pub").read_text())
        marker = tmp.root / "etc/brokeforge-testbed"
        if marker.exists():
            marker.write_text(marker.read_text() + f"provisioned {image.digest}\n")

    hold = images.ensure_image(cache_dir, image, build)
    return image, hold


def copy_tree(src: Path, dst: Path) -> None:
    """cp -a (reflinked where the filesystem can): owners, modes, links, xattrs, ACLs kept."""
    result = subprocess.run(
        ["cp", "-a", "--reflink=auto", "--", str(src), str(dst)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise TestbedError(f"copying {src} to {dst} failed: {result.stderr.strip()}")


def clean_rootfs(root: Path, keep_root_key: str) -> None:
    """Remove from a provisioned rootfs what one server must not share with the next.

    - SSH host keys: every boot generates its own (brokeforge-ssh-hostkeys.service).
    - machine-id emptied (each boot gets a fresh one), the random seed and
      systemd's credential secret removed; /etc/hostname and the 127.0.1.1
      line removed (set per boot by brokeforge-boot-setup).
    - authorized_keys: root keeps only the test bed's key (KEEP_ROOT_KEY); every
      key under /home (the build panel's brokeforge user key) goes.
    - logs (journal, nginx, apt...), downloaded .debs, /tmp.

    apt's lists (~60 MB) stay: the product's `apt-get update` on a server
    booted from the image then only revalidates them (~1 s instead of ~5 s
    fetching and parsing them again).
    """
    ssh_dir = root / "etc/ssh"
    for key in ssh_dir.glob("ssh_host_*"):
        key.unlink()

    machine_id = root / "etc/machine-id"
    machine_id.write_text("")
    machine_id.chmod(0o444)
    dbus_id = root / "var/lib/dbus/machine-id"
    if dbus_id.is_file() and not dbus_id.is_symlink():
        dbus_id.unlink()
    for name in ("var/lib/systemd/random-seed", "var/lib/systemd/credential.secret", "etc/hostname"):
        (root / name).unlink(missing_ok=True)
    hosts = root / "etc/hosts"
    if hosts.exists():
        lines = hosts.read_text().splitlines(keepends=True)
        hosts.write_text("".join(line for line in lines if not line.startswith("127.0.1.1")))

    keep = {" ".join(keep_root_key.split()[:2])}
    _keep_keys(root / "root/.ssh/authorized_keys", keep)
    for authorized in (root / "home").glob("*/.ssh/authorized_keys"):
        _keep_keys(authorized, set())

    journal = root / "var/log/journal"
    for entry in journal.iterdir() if journal.is_dir() else []:
        _remove(entry)
    for entry in (root / "var/log").rglob("*"):
        if entry.is_symlink() or not entry.is_file():
            continue
        if entry.suffix == ".gz" or entry.name.rsplit(".", 1)[-1].isdigit():
            entry.unlink()  # rotated
        else:
            entry.write_bytes(b"")  # keep the file, its owner and mode
    for entry in root.glob("var/cache/apt/archives/*.deb"):
        entry.unlink()
    for tmp in ("tmp", "var/tmp"):
        for entry in (root / tmp).glob("*") if (root / tmp).is_dir() else []:
            _remove(entry)


def _keep_keys(path: Path, keep: set[str]) -> None:
    """Rewrite an authorized_keys file with only the keys (type + base64) in KEEP."""
    if not path.exists():
        return
    kept = [line + "\n" for line in path.read_text().splitlines() if _key_of(line) in keep]
    path.write_text("".join(kept))


def _key_of(line: str) -> str:
    """ "type base64" of an authorized_keys line ("[options] type base64 [comment]")."""
    fields = line.split()
    for i, field in enumerate(fields):
        if field.startswith(("ssh-", "ecdsa-", "sk-")) and i + 1 < len(fields):
            return f"{field} {fields[i + 1]}"
    return ""


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink()
