"""How a site deploys, as data: its script (or its type's default), the files and directories
every release shares, how many releases are kept, and the health check a new release must pass
before it stays live. Validated here, because every value ends up in a shell script."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from brokeforge.lib.enums import SiteType
from brokeforge.lib.templates import render
from brokeforge.sites.models import Site

MAX_KEEP_RELEASES = 50
MAX_HEALTH_TIMEOUT = 120
MAX_SCRIPT_BYTES = 64 * 1024
MAX_SHARED_PATHS = 30
# What each type shares between releases by default: Laravel's environment and storage.
DEFAULT_SHARED: dict[SiteType, tuple[str, ...]] = {SiteType.LARAVEL: (".env", "storage/")}

# A path inside a release: segments of safe characters (a leading dot allowed: `.env`), no `..`.
_SEGMENT_RE = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")
# An HTTP path to request: printable ASCII without spaces or quotes, starting with `/`.
_HEALTH_PATH_RE = re.compile(r"^/[A-Za-z0-9._~!$&()*+,;=:@%/?-]{0,499}$")


@dataclass(frozen=True)
class SharedPath:
    """A file or directory (written with a trailing `/`) kept in shared/ and linked into releases."""

    path: str
    directory: bool

    @classmethod
    def parse(cls, value: str) -> SharedPath:
        text = value.strip()
        directory = text.endswith("/")
        path = text.rstrip("/")
        if not path or path.startswith("/") or not all(_SEGMENT_RE.fullmatch(s) for s in path.split("/")):
            raise ValueError(
                f"Shared path {value!r} must be relative to the release, like .env or storage/ "
                "(letters, digits, dots, dashes and underscores; no `..`)."
            )
        return cls(path, directory)

    def __str__(self) -> str:
        return f"{self.path}/" if self.directory else self.path


@dataclass(frozen=True)
class HealthCheck:
    path: str = "/"
    status: int = 200
    timeout: int = 10

    @classmethod
    def validated(cls, path: str, status: int | str, timeout: int | str) -> HealthCheck:
        if not _HEALTH_PATH_RE.fullmatch(path):
            raise ValueError(f"Health check path {path!r} must start with / and hold no spaces or quotes.")
        code, seconds = _number(status, "Expected status"), _number(timeout, "Health check timeout")
        if not 100 <= code <= 599:
            raise ValueError(f"Expected status must be an HTTP status (100-599), got {code}.")
        if not 1 <= seconds <= MAX_HEALTH_TIMEOUT:
            raise ValueError(f"Health check timeout must be 1-{MAX_HEALTH_TIMEOUT} seconds, got {seconds}.")
        return cls(path, code, seconds)


@dataclass(frozen=True)
class DeploySettings:
    script: str
    shared: tuple[SharedPath, ...]
    keep_releases: int
    health: HealthCheck

    @classmethod
    def validated(
        cls,
        site_type: SiteType,
        script: str = "",
        shared: Iterable[str] | None = None,
        keep_releases: int | str = 5,
        health: HealthCheck | None = None,
    ) -> DeploySettings:
        """Settings from what a user gave; "" and None take the site type's defaults."""
        paths = DEFAULT_SHARED.get(site_type, ()) if shared is None else [s for s in shared if s.strip()]
        parsed = tuple(SharedPath.parse(value) for value in paths)
        if len(parsed) > MAX_SHARED_PATHS:
            raise ValueError(f"At most {MAX_SHARED_PATHS} shared paths, got {len(parsed)}.")
        keep = _number(keep_releases, "Releases to keep")
        if not 1 <= keep <= MAX_KEEP_RELEASES:
            raise ValueError(f"Releases to keep must be 1-{MAX_KEEP_RELEASES}, got {keep}.")
        return cls(_script(site_type, script), parsed, keep, health or HealthCheck())

    @classmethod
    def of(cls, site: Site) -> DeploySettings:
        health = HealthCheck.validated(site.health_path, site.health_status, site.health_timeout)
        kind = SiteType(site.site_type)
        return cls.validated(kind, site.deploy_script, site.shared_paths, site.keep_releases, health)


def default_script(site_type: SiteType) -> str:
    return render(f"sites/deploy/defaults/{site_type.value}.sh.j2")


def _script(site_type: SiteType, script: str) -> str:
    text = script.replace("\r\n", "\n")
    if len(text.encode()) > MAX_SCRIPT_BYTES:
        raise ValueError(f"The deploy script is over {MAX_SCRIPT_BYTES // 1024} KiB.")
    if "\0" in text:
        raise ValueError("The deploy script holds a NUL character.")
    return text if text.strip() else default_script(site_type)


def _number(value: int | str, what: str) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or str(value).strip().isdigit()):
        raise ValueError(f"{what} must be a whole number, got {value!r}.")
    return int(value)
