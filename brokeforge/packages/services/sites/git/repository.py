"""Where a site's code comes from: a repository URL and a branch, validated strictly.

Both end up on shell lines (quoted as well) and in git's argument list, so only the plain forms
people copy from their git host pass: `git@host:owner/repo.git`, `ssh://git@host:2222/path.git`,
and `https://host/owner/repo.git` for a public repository. No credentials in URLs (the site's
deploy key is the credential), no other transports (`ext::`, `file://`, `git://`), nothing that
could be read as an option (`--upload-pack=...`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum

from brokeforge.lib import validators
from brokeforge.sites.models import Site

DEFAULT_BRANCH = "main"
MAX_URL_LENGTH = 500  # Site.repository_url
MAX_BRANCH_LENGTH = 255  # Site.branch

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
_USER = r"(?P<user>[A-Za-z0-9_][A-Za-z0-9._-]{0,63})"
_PORT = r"(?::(?P<port>[0-9]{1,5}))?"
# Path segments of letters, digits and . _ + - (none of them "." or "..", checked after), one
# optional leading ~ (a user's directory on a self-hosted server). Only the scp-like form writes
# an absolute path with a leading /; in a URL the / after the host separates it.
_SEGMENTS = r"~?[A-Za-z0-9_.][A-Za-z0-9._+-]{0,99}(?:/[A-Za-z0-9_.][A-Za-z0-9._+-]{0,99}){0,19}"
_SCP_RE = re.compile(rf"{_USER}@{_HOST}:(?P<path>/?{_SEGMENTS})")
_SSH_RE = re.compile(rf"ssh://{_USER}@{_HOST}{_PORT}/(?P<path>{_SEGMENTS})")
_HTTPS_RE = re.compile(rf"https://{_HOST}{_PORT}/(?P<path>{_SEGMENTS})")
_FORMS = (
    "git@host:owner/repo.git, ssh://git@host:2222/path/repo.git or, for a public repository, "
    "https://host/owner/repo.git"
)

_BRANCH_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
_UNPRINTABLE_RE = re.compile(r"[\s\x00-\x1f\x7f]")


class Transport(StrEnum):
    SSH = "ssh"
    HTTPS = "https"


@dataclass(frozen=True)
class Repository:
    url: str
    branch: str
    transport: Transport
    host: str  # as git connects to it: a name, an IPv4 address, or an IPv6 one without brackets
    port: int

    @classmethod
    def validated(cls, url: str, branch: str = DEFAULT_BRANCH) -> Repository:
        """A repository from what a user typed, or ValueError saying what is wrong."""
        clean_url = repository_url(url)
        return cls(clean_url, branch_name(branch), *_location(clean_url))

    @classmethod
    def of(cls, site: Site) -> Repository:
        """The repository a Site row records, validated again: its values reach a shell."""
        if not site.repository_url:
            raise ValueError(f"{site.domain} has no repository; set one first.")
        return cls.validated(site.repository_url, site.branch or DEFAULT_BRANCH)

    @property
    def uses_ssh(self) -> bool:
        return self.transport == Transport.SSH

    @property
    def known_hosts_name(self) -> str:
        """How known_hosts (and ssh-keyscan) name the host: `[host]:port` off port 22."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def repository_url(value: str) -> str:
    """The URL, or ValueError saying what is wrong with it."""
    url = value.strip()
    if not url:
        raise ValueError("Give the repository's URL, like git@github.com:owner/repo.git.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"A repository URL has at most {MAX_URL_LENGTH} characters.")
    if _UNPRINTABLE_RE.search(url):
        raise ValueError("A repository URL has no spaces, line breaks or control characters.")
    if url.startswith("-"):
        raise ValueError(f"{url!r} starts with a dash: git would read it as an option.")
    if url.startswith("https://") and "@" in url.split("/", 3)[2]:
        raise ValueError(
            "Credentials do not belong in a repository URL (they would be stored and shown): use "
            "the repository's SSH URL, with the site's deploy key, for a private repository."
        )
    if not any(form.fullmatch(url) for form in (_SCP_RE, _SSH_RE, _HTTPS_RE)):
        raise ValueError(f"{url!r} is not a repository URL BrokeForge accepts; use {_FORMS}.")
    _location(url)  # the host and port, checked
    return url


def branch_name(value: str) -> str:
    """A branch name git accepts, with nothing a shell or git could read as more than a name."""
    name = value.strip()
    if not name:
        raise ValueError("Give a branch, like main.")
    if len(name) > MAX_BRANCH_LENGTH:
        raise ValueError(f"A branch name has at most {MAX_BRANCH_LENGTH} characters.")
    if not _BRANCH_RE.fullmatch(name):
        raise ValueError(
            f"Branch {name!r}: letters, digits and . _ - /, starting with a letter, digit or "
            "underscore (no spaces or other characters)."
        )
    parts = name.split("/")
    if (
        name == "HEAD"
        or ".." in name
        or name.endswith(".")
        or any(not part or part.startswith(".") or part.endswith(".lock") for part in parts)
    ):
        raise ValueError(
            f"Branch {name!r} is not a valid git branch name (no '..', empty or dot-first parts, "
            "trailing '.' or '.lock', or HEAD)."
        )
    return name


def _location(url: str) -> tuple[Transport, str, int]:
    """(transport, host, port) of a URL that matched one of the forms."""
    for form, transport, default_port in (
        (_SCP_RE, Transport.SSH, 22),
        (_SSH_RE, Transport.SSH, 22),
        (_HTTPS_RE, Transport.HTTPS, 443),
    ):
        match = form.fullmatch(url)
        if match is None:
            continue
        if any(part in (".", "..") for part in match["path"].split("/")):
            raise ValueError(f"{url!r}: the repository's path may not hold '.' or '..' parts.")
        port = match.groupdict().get("port")
        return transport, _host(match["host"]), validators.port(port) if port else default_port
    raise ValueError(f"{url!r} is not a repository URL BrokeForge accepts; use {_FORMS}.")


def _host(value: str) -> str:
    """A host name (lowercased) or an IP address; IPv6 given in brackets, kept without."""
    if value.startswith("["):
        try:
            return str(ipaddress.IPv6Address(value[1:-1]))
        except ValueError:
            raise ValueError(f"{value} is not an IPv6 address.") from None
    if value.replace(".", "").isdigit():
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise ValueError(f"{value} is not an IPv4 address.") from None
    if len(value) > 253:
        raise ValueError("A host name has at most 253 characters.")
    return value.lower()
