"""Paths a user gives, kept inside one directory of a site: checked here for what only the panel
can judge (empty, NUL, newline, length), then resolved and judged on the server, as the site user
(templates/sites/explorer/resolve.sh.j2). A refusal comes back as an exit code, turned into its
message here: no text from the server is ever shown as the reason."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from brokeforge.lib.templates import render
from brokeforge.ssh import CommandFailed, CommandResult

# Larger files are neither opened nor edited: a text editor in a browser is no place for them.
MAX_FILE_BYTES = 1024 * 1024
# Linux's PATH_MAX.
MAX_PATH_CHARS = 4096


class Refusal(IntEnum):
    """Why the server refused a path: the exit codes of the explorer's and the logs' scripts."""

    NO_BASE = 20
    MISSING = 21
    OUTSIDE = 22
    NEWLINE = 23
    NOT_A_DIRECTORY = 24
    NOT_A_FILE = 25
    NOT_READABLE = 26
    TOO_LARGE = 27
    BINARY = 28
    NO_PARENT = 29
    NOT_WRITABLE = 30


_MESSAGES = {
    Refusal.NO_BASE: "{base} is missing or is not a plain directory: nothing there can be opened.",
    Refusal.MISSING: "{path} does not exist.",
    Refusal.OUTSIDE: "{path} leads outside {base}: refused.",
    Refusal.NEWLINE: "{path} leads to a name with a newline in it: refused.",
    Refusal.NOT_A_DIRECTORY: "{path} is not a directory.",
    Refusal.NOT_A_FILE: "{path} is not a regular file.",
    Refusal.NOT_READABLE: "{path} cannot be read by the site's user.",
    Refusal.TOO_LARGE: "{path} is {size}: only files up to 1 MiB can be opened or edited here.",
    Refusal.BINARY: "{path} is a binary file (NUL bytes or not UTF-8): it cannot be edited as text.",
    Refusal.NO_PARENT: "{path}: the directory it would be written in does not exist.",
    Refusal.NOT_WRITABLE: "{path} cannot be written by the site's user.",
}


class Refused(ValueError):
    """A path or file the explorer will not touch; the message says why, for the user. `reason`
    is the server's refusal, None for what the panel refused before asking it."""

    def __init__(self, message: str, reason: Refusal | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def refusal(reason: Refusal, path: str, base: str, size: int | None = None) -> Refused:
    shown = repr(path) if path else "The site's directory"
    return Refused(_MESSAGES[reason].format(path=shown, base=base, size=file_size(size or 0)), reason)


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def check_path(path: str) -> str:
    """A path as a user typed it, or Refused. What it leads to is for the server to judge."""
    if "\x00" in path:
        raise Refused("A path cannot hold a NUL byte: refused.")
    if "\n" in path:
        raise Refused(f"{path!r} has a newline in it: refused.")
    if not path.strip():
        raise Refused("Give a path inside the site.")
    if len(path) > MAX_PATH_CHARS:
        raise Refused(f"A path is at most {MAX_PATH_CHARS} characters.")
    return path


def check_content(content: str | bytes) -> str:
    """New contents for a file, or Refused: text (UTF-8, no NUL byte), at most MAX_FILE_BYTES."""
    try:
        data = content.encode() if isinstance(content, str) else content
    except UnicodeEncodeError:
        raise Refused("The new contents are not valid text: only text is written here.") from None
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"The new contents are {file_size(len(data))}: files are edited here up to 1 MiB.")
    if b"\0" in data:
        raise Refused("The new contents hold a NUL byte: only text is written here.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("The new contents are not valid UTF-8: only text is written here.") from None


def script(template: str, base: str, **context: Any) -> str:
    """A confined script: `resolve` is defined for `base`, the codes are Refusal's."""
    return render(template, base=base, codes=Refusal, max_bytes=MAX_FILE_BYTES, **context)


def judge(result: CommandResult, path: str, base: str) -> CommandResult:
    """A confined script's result when it worked; Refused when it refused the path (its message
    from the exit code, never from the server's text); CommandFailed when anything else failed."""
    if result.exit_code in Refusal._value2member_map_:
        reason = Refusal(result.exit_code)
        raise refusal(reason, path, base, _too_large_size(reason, result.stdout))
    if result.exit_code != 0:
        raise CommandFailed(f"the script for {path!r}", result.exit_code, result.stderr[-2000:])
    return result


def _too_large_size(reason: Refusal, stdout: str) -> int | None:
    """A file refused as too large: the size its script printed before refusing."""
    if reason != Refusal.TOO_LARGE:
        return None
    size = stdout.split("\0", 1)[0]
    return int(size) if size.isdigit() else None
