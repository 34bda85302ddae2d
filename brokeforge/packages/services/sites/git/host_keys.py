"""A git host's SSH keys: those the panel ships (known_hosts.txt), those a site pinned, those a host
presents now, and the verdict when they are compared.

A host's key is never taken on trust from what answers: the keys of GitHub, GitLab and Bitbucket
ship with the panel; another host's key is pinned at its first contact and shown to the user; a
key that differs from the pinned one is refused, naming both fingerprints, until a user accepts
the new one, by its fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from brokeforge.ssh import fingerprint

SHIPPED_FILE = Path(__file__).with_name("known_hosts.txt")
# Best first: the key a first contact pins, and the one shown for a host.
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)
# What ssh-keyscan is asked for: the families of KEY_TYPES.
SCAN_TYPES = "ed25519,ecdsa,rsa"

# A host as known_hosts names it: a name or IP, `[name]:port` off port 22. No patterns, no hashes.
_NAME_RE = re.compile(r"(?:[A-Za-z0-9.:-]+|\[[A-Za-z0-9.:-]+\]:[0-9]{1,5})")
_BLOB_RE = re.compile(r"[A-Za-z0-9+/]+={0,3}")
_FINGERPRINT_RE = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


@dataclass(frozen=True)
class HostKey:
    host: str  # as known_hosts names it
    key_type: str
    blob: str  # base64, as in known_hosts

    @classmethod
    def parse(cls, line: str) -> HostKey:
        """One known_hosts line (`host type base64`), or ValueError."""
        fields = line.split()
        if len(fields) != 3:
            raise ValueError(f"Not a known_hosts line: {line!r}")
        host, key_type, blob = fields
        if not _NAME_RE.fullmatch(host) or key_type not in KEY_TYPES or not _BLOB_RE.fullmatch(blob):
            raise ValueError(f"Not a known_hosts line BrokeForge pins: {line!r}")
        if _blob_type(blob) != key_type:
            raise ValueError(f"The key in {line!r} is not of type {key_type}.")
        key = cls(host, key_type, blob)
        key.fingerprint  # noqa: B018 - the blob is a whole key, or ValueError
        return key

    @property
    def public_key(self) -> str:
        return f"{self.key_type} {self.blob}"

    @property
    def fingerprint(self) -> str:
        """SHA256:... as ssh-keygen -l and ssh's own warnings print it."""
        return fingerprint(self.public_key)

    @property
    def line(self) -> str:
        return f"{self.host} {self.key_type} {self.blob}"

    def for_host(self, host: str) -> HostKey:
        return HostKey(host, self.key_type, self.blob)


def _blob_type(blob: str) -> str:
    """The key type a key blob names first (an SSH string: 4-byte length, then the name)."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except binascii.Error:
        return ""
    length = int.from_bytes(raw[:4], "big")
    return raw[4 : 4 + length].decode("ascii", errors="replace")


def parse_known_hosts(text: str) -> list[HostKey]:
    """Every key of a known_hosts text (ours: one host per line), comments and blank lines skipped."""
    return [HostKey.parse(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def parse_scan(output: str, host: str) -> list[HostKey]:
    """The keys ssh-keyscan printed for `host`, of the types BrokeForge pins; other lines ignored."""
    keys = []
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in KEY_TYPES:
            try:
                keys.append(HostKey.parse(line).for_host(host))
            except ValueError:
                continue  # a line that is not a key of its type is no key at all
    return keys


@cache
def shipped_keys() -> tuple[HostKey, ...]:
    return tuple(parse_known_hosts(SHIPPED_FILE.read_text()))


def pinned_keys(host: str, site_pins: Iterable[HostKey]) -> list[HostKey]:
    """The keys a host must present: the site's own pins for it (a first contact, or a key the user
    accepted, which overrides the shipped ones), else the keys the panel ships for it."""
    own = [key for key in site_pins if key.host == host]
    return own or [key for key in shipped_keys() if key.host == host]


def pin_source(host: str, site_pins: Iterable[HostKey]) -> str:
    """Where a host's pinned keys come from: "pinned" (the site's own), "shipped", "" (none yet)."""
    if any(pin.host == host for pin in site_pins):
        return "pinned"
    return "shipped" if any(key.host == host for key in shipped_keys()) else ""


def preferred(keys: Sequence[HostKey]) -> HostKey:
    """The key of the best type among `keys` (which is not empty)."""
    return min(keys, key=lambda key: KEY_TYPES.index(key.key_type))


def with_pin(site_pins: Iterable[HostKey], key: HostKey) -> list[HostKey]:
    """The site's pins with `key` as its host's only one."""
    return [*(pin for pin in site_pins if pin.host != key.host), key]


def known_hosts_lines(site_pins: Sequence[HostKey]) -> list[str]:
    """What the site user's pinned known_hosts holds: the shipped keys of the hosts the site has
    no pin of its own for, then the site's pins."""
    own_hosts = {pin.host for pin in site_pins}
    shipped = [key for key in shipped_keys() if key.host not in own_hosts]
    return [key.line for key in [*shipped, *site_pins]]


def checked_fingerprint(value: str) -> str:
    """A SHA256 fingerprint as ssh and the panel print it, or ValueError."""
    text = value.strip()
    if not _FINGERPRINT_RE.fullmatch(text):
        raise ValueError(
            f"{value!r} is not a host key fingerprint; give it as shown, like "
            "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU."
        )
    return text


@dataclass(frozen=True)
class Verdict:
    """How the keys a host presents compare with its pinned ones. `pinned` is the pinned key that
    matched, or the one that was expected; `presented` the key the host offered in its place."""

    matches: bool
    pinned: HostKey
    presented: HostKey


def judge(pinned: Sequence[HostKey], presented: Sequence[HostKey]) -> Verdict:
    """The host matches only if every key it presents of a pinned type is that pinned key, and it
    presents at least one of them: a host that kept its RSA key but changed its Ed25519 one, or
    now offers only a type nobody pinned, is refused."""
    pinned_by_type = {key.key_type: key for key in pinned}
    same_type = [key for key in presented if key.key_type in pinned_by_type]
    for key in sorted(same_type, key=lambda key: KEY_TYPES.index(key.key_type)):
        expected = pinned_by_type[key.key_type]
        if key.blob != expected.blob:
            return Verdict(False, expected, key)
    if same_type:
        best = preferred(same_type)
        return Verdict(True, pinned_by_type[best.key_type], best)
    return Verdict(False, preferred(pinned), preferred(presented))


class HostKeyChanged(ValueError):
    """The git host presented another key than the pinned one: refused, both fingerprints named."""

    def __init__(self, host: str, pinned: str, presented: str) -> None:
        super().__init__(
            f"The host key of {host} changed: BrokeForge pinned {pinned}, the host now presents "
            f"{presented}. Nothing was fetched from it. If the git host really changed its key, "
            f"compare {presented} with the fingerprint its administrators publish, then accept it "
            "explicitly."
        )
        self.host, self.pinned, self.presented = host, pinned, presented
