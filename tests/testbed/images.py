"""The image cache: rootfs trees that test servers boot from, built once and reused.

Every image (a Debian base, or a server the product provisioned) lives in its
own directory under the cache dir, named ``<kind>-<release>-<digest[:16]>``,
where the digest hashes everything that decides the image's content. So a
changed input gives a new name, and the next run builds the new image beside
the old one instead of reusing something stale.

    CACHE/<kind>-<release>-<hash>/rootfs/            the Debian tree
    CACHE/<kind>-<release>-<hash>/id_ed25519{,.pub}  the key authorised for root
    CACHE/<kind>-<release>-<hash>/stamp.json         digest, build time and seconds
    CACHE/<kind>-<release>-<hash>/in-use.lock        shared-locked by every bed using it

Rules every image follows:

- Built under one exclusive flock per cache dir (``.build.lock``): beds that
  share a cache build an image once; the others wait, then reuse it. The lock
  is re-entrant inside one process, so building a provisioned image may boot
  (and so ensure) its base while holding it. An image that is already
  complete is taken without that lock, so a bed never waits for another
  bed's build of an image it does not need.
- Built in ``<name>.tmp-<pid>`` beside its final place and renamed into place
  with the stamp already written: a crash never leaves a half-built image that
  looks complete, and an image with a stamp is complete.
- A bed holds a shared flock on each image it boots from (``in-use.lock``).
  Out-of-date images of the same kind and release, and half-built leftovers,
  are removed when no bed holds them: renamed aside while holding their
  in-use lock exclusively (so a bed that was about to take one sees it gone
  and rebuilds or waits), then deleted.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.testbed.procs import log

RELEASES = ("bookworm", "trixie")
DEFAULT_RELEASE = "bookworm"
VERSION_IDS = {"bookworm": "12", "trixie": "13"}

# Images built by this process: (image directory, seconds). The timing report
# of scripts/test.sh lists those built in the real cache.
BUILDS: list[tuple[Path, float]] = []

# Image directories of the first version of the cache (base-<hash>, bookworm
# only); removed like any out-of-date image.
_LEGACY_RE = re.compile(r"^base-[0-9a-f]{16}(\.tmp-\d+)?$")


@dataclass(frozen=True)
class Image:
    """A complete image directory: its rootfs and the root SSH key that goes with it."""

    path: Path
    digest: str
    release: str
    kind: str

    @property
    def root(self) -> Path:
        return self.path / "rootfs"

    @property
    def key_path(self) -> Path:
        return self.path / "id_ed25519"

    @property
    def stamp_path(self) -> Path:
        return self.path / "stamp.json"

    def stamp(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.stamp_path.read_text())
        return loaded


def image_for(cache_dir: Path, kind: str, release: str, digest: str) -> Image:
    check_release(release)
    return Image(cache_dir / f"{kind}-{release}-{digest[:16]}", digest, release, kind)


def check_release(release: str) -> None:
    if release not in RELEASES:
        raise ValueError(f"unknown Debian release {release!r}; the test bed builds {', '.join(RELEASES)}")


def ensure_image(
    cache_dir: Path,
    image: Image,
    build: Callable[[Image], None],
) -> IO[str]:
    """Make IMAGE exist (calling BUILD on a temporary Image if it does not) and hold it.

    BUILD fills ``tmp.path`` (rootfs/ and the key); the stamp and the rename
    are done here. Returns an open file holding a shared lock on the image
    that keeps other beds from removing it: keep it open while servers boot
    from the image, close it to release.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    if (held := _hold_if_complete(image)) is not None:
        log.info("reusing %s", image.path)
        with build_lock(cache_dir, wait=False) as locked:
            if locked:  # else a build is under way, and it removes them
                remove_stale(cache_dir, image.kind, image.release, keep=image.path)
        return held
    with build_lock(cache_dir):
        if is_complete(image):
            log.info("reusing %s", image.path)
        else:
            remove_stale(cache_dir, image.kind, image.release, keep=None)
            tmp = Image(image.path.with_name(f"{image.path.name}.tmp-{os.getpid()}"), image.digest,
                        image.release, image.kind)  # fmt: skip
            shutil.rmtree(tmp.path, ignore_errors=True)
            tmp.path.mkdir(parents=True)
            started = time.monotonic()
            try:
                build(tmp)
                seconds = time.monotonic() - started
                _write_stamp(tmp, seconds)
                os.rename(tmp.path, image.path)
            except BaseException:
                shutil.rmtree(tmp.path, ignore_errors=True)
                raise
            BUILDS.append((image.path, seconds))
            log.info("built %s in %.1fs", image.path, seconds)
        hold = (image.path / "in-use.lock").open("a")
        fcntl.flock(hold, fcntl.LOCK_SH)
        remove_stale(cache_dir, image.kind, image.release, keep=image.path)
    return hold


def _hold_if_complete(image: Image) -> IO[str] | None:
    """A shared hold on IMAGE if it is complete, taken without the build lock; else None."""
    if not is_complete(image):
        return None
    try:
        hold = (image.path / "in-use.lock").open("a")
    except FileNotFoundError:  # removed meanwhile
        return None
    fcntl.flock(hold, fcntl.LOCK_SH)  # waits while a remover holds it exclusively
    if is_complete(image):  # still in place: nobody removes it while we hold it
        return hold
    hold.close()
    return None


def is_complete(image: Image) -> bool:
    try:
        stamp = image.stamp()
    except (OSError, ValueError):
        return False
    return bool(stamp.get("digest") == image.digest and image.root.is_dir() and image.key_path.exists())


def _write_stamp(image: Image, seconds: float) -> None:
    stamp = {
        "kind": image.kind,
        "release": image.release,
        "digest": image.digest,
        "built_at": time.time(),
        "build_seconds": round(seconds, 1),
    }
    image.stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")


# -- the build lock ------------------------------------------------------------

_lock_guard = threading.RLock()
_held: dict[Path, tuple[IO[str], int]] = {}  # cache dir -> (locked file, depth)


@contextmanager
def build_lock(cache_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Exclusive across processes (flock), re-entrant inside this one.

    Yields True once held; with WAIT=False, yields False at once if another
    process holds it.
    """
    key = cache_dir.resolve()
    with _lock_guard:  # one thread at a time builds; the RLock makes it re-entrant
        held = _held.get(key)
        if held is None:
            lock_file: IO[str] = (cache_dir / ".build.lock").open("w")
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                lock_file.close()
                yield False
                return
            held = (lock_file, 0)
        _held[key] = (held[0], held[1] + 1)
        try:
            yield True
        finally:
            lock_file, depth = _held[key]
            if depth == 1:
                del _held[key]
                lock_file.close()  # releases the flock
            else:
                _held[key] = (lock_file, depth - 1)


# -- removal of old images -----------------------------------------------------


def remove_stale(cache_dir: Path, kind: str, release: str, keep: Path | None) -> None:
    """Remove out-of-date and half-built images of KIND and RELEASE that no running bed uses.

    Called with the build lock held, so no other process is building one.
    """
    candidates = list(cache_dir.glob(f"{kind}-{release}-*"))
    if kind == "base":
        candidates += [p for p in cache_dir.glob("base-*") if _LEGACY_RE.match(p.name)]
    candidates += list(cache_dir.glob("*.removing-*"))  # a removal that was interrupted
    for entry in candidates:
        if entry == keep or not entry.is_dir():
            continue
        if not _set_aside_unless_in_use(entry):
            log.info("keeping old image %s: a running test bed uses it", entry)
            continue
        log.info("removed old or partial image %s", entry)


def _set_aside_unless_in_use(image_dir: Path) -> bool:
    """Remove IMAGE_DIR unless a bed holds it; False if one does.

    The rename happens while this process holds the in-use lock exclusively,
    so a bed taking a hold without the build lock (_hold_if_complete) either
    holds it first (and the image stays) or finds it gone afterwards.
    """
    aside = image_dir.with_name(f"{image_dir.name.split('.removing-')[0]}.removing-{os.getpid()}")
    lock_path = image_dir / "in-use.lock"
    if lock_path.exists():
        with lock_path.open("a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            if image_dir != aside:
                os.rename(image_dir, aside)
    elif image_dir != aside:
        os.rename(image_dir, aside)
    shutil.rmtree(aside)
    return True
