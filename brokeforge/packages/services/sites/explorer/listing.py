"""What the explorer's scripts print, as data: a directory's entries, a file's bytes.

Pure parsing, so it is tested from any bytes a server could send. Every field a script prints
ends with a NUL, the one byte a file name cannot hold; names and symlink targets are data, to be
shown as text and never interpreted.
"""

from __future__ import annotations

import base64
import binascii
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

# What `find -printf` prints per entry (list.sh.j2): type, target type, size, mode, mtime,
# owner, symlink target, name.
ENTRY_FIELDS = 8
# A directory lists at most this many entries; the listing says when it was cut.
MAX_ENTRIES = 2000

# find's %y / %Y letters.
KINDS = {
    "f": "file",
    "d": "directory",
    "l": "symlink",
    "p": "fifo",
    "s": "socket",
    "c": "character device",
    "b": "block device",
    "N": "missing",  # %Y of a symlink whose target does not exist
    "L": "loop",  # %Y of a symlink in a loop
}
_TYPE_BITS = {
    "file": stat.S_IFREG,
    "directory": stat.S_IFDIR,
    "symlink": stat.S_IFLNK,
    "fifo": stat.S_IFIFO,
    "socket": stat.S_IFSOCK,
    "character device": stat.S_IFCHR,
    "block device": stat.S_IFBLK,
}


class BadOutput(ValueError):
    """The server's answer is not what the script prints."""


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    size: int
    mode: int
    modified: datetime
    owner: str
    # A symlink's target as it is written in the link, and what it points to.
    target: str | None = None
    target_kind: str | None = None

    @classmethod
    def parse(cls, fields: list[str]) -> Entry:
        kind, target_kind, size, mode, mtime, owner, target, name = fields
        link = kind == "l"
        try:
            return cls(
                name=name,
                kind=KINDS.get(kind, "other"),
                size=int(size),
                mode=int(mode, 8),
                modified=datetime.fromtimestamp(float(mtime), UTC),
                owner=owner,
                target=target if link else None,
                target_kind=KINDS.get(target_kind, "other") if link else None,
            )
        except ValueError:
            raise BadOutput(f"Unexpected directory entry from the server: {fields!r}") from None

    @property
    def is_directory(self) -> bool:
        """A directory, or a symlink to one: what a click opens as a directory."""
        return self.kind == "directory" or self.target_kind == "directory"

    @property
    def openable(self) -> bool:
        """A name the explorer can be asked for: names with a newline are refused, whatever they are."""
        return "\n" not in self.name

    @property
    def permissions(self) -> str:
        """As `ls -l` shows them: -rw-r--r--."""
        return stat.filemode(_TYPE_BITS.get(self.kind, 0) | self.mode)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.kind,
            "size": self.size,
            "mode": f"{self.mode:04o}",
            "permissions": self.permissions,
            "modified": self.modified.isoformat(),
            "owner": self.owner,
            "target": self.target,
            "target_type": self.target_kind,
        }


@dataclass(frozen=True)
class Listing:
    # The directory, relative to the site's directory ("" is the site's directory itself).
    path: str
    entries: tuple[Entry, ...]
    truncated: bool

    @classmethod
    def parse(cls, output: str) -> Listing:
        """list.sh.j2's output: the resolved path, then ENTRY_FIELDS fields per entry."""
        path, *fields = output.split("\0")
        # Each field ends with a NUL: what follows the last one is empty.
        complete = len(fields) - len(fields) % ENTRY_FIELDS
        entries = [Entry.parse(fields[i : i + ENTRY_FIELDS]) for i in range(0, complete, ENTRY_FIELDS)]
        entries.sort(key=lambda entry: (not entry.is_directory, entry.name))
        return cls(path, tuple(entries[:MAX_ENTRIES]), len(entries) > MAX_ENTRIES)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "entries": [entry.as_dict() for entry in self.entries],
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class FileContent:
    # The file, relative to the site's directory, once every symlink is followed.
    path: str
    size: int
    mode: int
    modified: datetime
    data: bytes

    @classmethod
    def parse(cls, output: str) -> FileContent:
        """read.sh.j2's output: path, size, mode, mtime, then the bytes in base64."""
        try:
            path, size, mode, mtime, encoded = output.split("\0", 4)
            data = base64.b64decode(encoded, validate=True)
            return cls(path, int(size), int(mode, 8), datetime.fromtimestamp(int(mtime), UTC), data)
        except (ValueError, binascii.Error):
            raise BadOutput("Unexpected file contents from the server.") from None

    @cached_property
    def text(self) -> str | None:
        """The file as text; None for a binary file (a NUL byte, or not valid UTF-8)."""
        if b"\0" in self.data:
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def binary(self) -> bool:
        return self.text is None

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "size": self.size,
            "mode": f"{self.mode:04o}",
            "modified": self.modified.isoformat(),
            "binary": self.binary,
            "text": self.text,
        }
