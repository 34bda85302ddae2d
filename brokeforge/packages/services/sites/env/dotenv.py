"""`.env` files as Laravel reads them: vlucas/phpdotenv 5's rules, to read a site's file into
variables and to write a value so that phpdotenv reads back exactly that value.

Reading (phpdotenv 5.x, the parser Laravel 8 and later load `.env` with):
- lines end at CR LF, LF or CR; a line that is blank or starts with `#` (after spaces) is skipped;
- `NAME=VALUE`, `export NAME=VALUE`, or `NAME` alone (no value: the variable is unset); the name
  and the value are trimmed; a name may be quoted; names are letters, digits, `_` and `.`;
- an unquoted value ends at whitespace (only a ` #comment` may follow) and `#` starts a comment;
- a single-quoted value is literal: no escapes, no `${...}`, and it cannot hold a `'`;
- a double-quoted value may span lines and understands the escapes `\\"`, `\\\\`, `\\$` (each the
  character itself) and `\\f \\n \\r \\t \\v`; any other escape is an error;
- a `$` outside single quotes marks a `${NAME}` reference, replaced when the file is loaded.

Writing: a value is always double-quoted with `\\`, `"` and `$` escaped (so `${...}` stays literal)
and CR and LF written as `\\r` and `\\n`: every other character stands for itself. Any string
without NUL (which no environment variable can hold) reads back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass

# What the panel accepts as a name; phpdotenv also takes names starting with a digit or a dot,
# which no shell or process environment can use.
KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_PHPDOTENV_NAME_RE = re.compile(r"[A-Za-z0-9_.]+")
_LINE_BREAK_RE = re.compile(r"\r\n|\n|\r")
# PHP's trim() and ctype_space(): the ASCII whitespace phpdotenv strips and splits on.
_PHP_TRIM = " \t\n\r\0\x0b"
_SPACE = " \t\n\r\x0b\x0c"
# One lexer piece: line breaks, other whitespace, a single special character, or a run of others.
_TOKEN_RE = re.compile(r"[\r\n]+|[ \t\x0b\x0c]+|[\\'\"#$]|[^\\'\"#$ \t\n\r\x0b\x0c]+")
_ESCAPES = {"f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class DotenvError(ValueError):
    """The file (or a value) is not something phpdotenv reads; the message says where and why."""


@dataclass(frozen=True)
class Variable:
    key: str
    # None: `NAME` with no `=`, which unsets the variable.
    value: str | None
    # The first line of its entry (1-based): where the raw editor finds it.
    line: int
    # The value holds `${NAME}` references, replaced when the file is loaded.
    references: bool = False


# -- writing -----------------------------------------------------------------------------------


def check_key(key: str) -> str:
    if not KEY_RE.fullmatch(key):
        raise DotenvError(
            f"Invalid variable name {key!r}: letters, digits, _ and ., not starting with a digit or a dot."
        )
    return key


def quote(value: str) -> str:
    """`value` as a double-quoted phpdotenv value that reads back exactly as `value`."""
    check_text(value, "A value")
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("$", "\\$")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


def check_text(text: str, what: str = "The file") -> str:
    """Text that can be written as UTF-8 and held by an environment: no NUL, no lone surrogate."""
    if "\0" in text:
        raise DotenvError(f"{what} cannot hold a NUL character.")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise DotenvError(f"{what} is not valid text (UTF-8).") from None
    return text


def line(key: str, value: str) -> str:
    return f"{check_key(key)}={quote(value)}"


def render(variables: Mapping[str, str]) -> str:
    """A whole file of these variables, one a line, in order."""
    return "".join(f"{line(key, value)}\n" for key, value in variables.items())


def apply(text: str, changes: Mapping[str, str | None]) -> str:
    """`text` with each changed variable written anew where it was last set (None: removed, and
    so are its earlier lines) and new ones appended; every other line (comments, blank lines,
    references) stays as it was."""
    for key in changes:
        check_key(key)
    lines = _LINE_BREAK_RE.split(text)
    if lines[-1] == "":
        lines.pop()  # after the final line break
    entries = list(_entries(lines))
    last = {variable.key: span for variable, span in entries}
    kept: list[str] = []
    index = 0
    for variable, (start, end) in entries:
        if variable.key in changes:
            kept += lines[index:start]
            index = end
            value = changes[variable.key]
            if (start, end) == last[variable.key] and value is not None:
                kept.append(line(variable.key, value))
    kept += lines[index:]
    kept += [line(key, value) for key, value in changes.items() if key not in last and value is not None]
    return "".join(f"{kept_line}\n" for kept_line in kept)


# -- reading -----------------------------------------------------------------------------------


def parse(text: str) -> list[Variable]:
    """The variables of a file, in order (a name given twice appears twice: the last one wins)."""
    return [variable for variable, _span in _entries(_LINE_BREAK_RE.split(text))]


def values(text: str) -> dict[str, str]:
    """The value each name ends up with (unset names left out), references not replaced."""
    result: dict[str, str] = {}
    for variable in parse(text):
        if variable.value is None:
            result.pop(variable.key, None)
        else:
            result[variable.key] = variable.value
    return result


def secret_values(text: str) -> set[str]:
    """Everything in the file that may be a secret, to mask in what a job stores: each value as
    phpdotenv reads it and as it is written, even in a file phpdotenv would refuse."""
    found = set()
    for raw in _LINE_BREAK_RE.split(text):
        name, equals, value = raw.partition("=")
        if equals and not name.strip().startswith("#"):
            found |= {value.strip(_PHP_TRIM), value.strip(_PHP_TRIM).strip("'\"")}
    # A file phpdotenv refuses: the raw values above are what there is to mask.
    with suppress(DotenvError):
        found |= {variable.value for variable in parse(text) if variable.value}
    return found - {""}


def _entries(lines: list[str]) -> Iterator[tuple[Variable, tuple[int, int]]]:
    """Each variable with its span of lines [start, end) (a double-quoted value spans several)."""
    index = 0
    while index < len(lines):
        start, raw = index, lines[index]
        if _opens_multiline(raw):
            index += 1
            # Like phpdotenv, a line that opens a value of its own does not close this one.
            while index < len(lines) and (
                _opens_multiline(lines[index]) or not _closes_multiline(lines[index], started=False)
            ):
                index += 1
            if index == len(lines):
                # phpdotenv drops such an entry without a word; refused here, where it shows.
                raise DotenvError(f"Line {start + 1}: a double-quoted value is never closed.")
            raw = "\n".join(lines[start : index + 1])
        index += 1
        stripped = raw.strip(_PHP_TRIM)
        if stripped and not stripped.startswith("#"):
            yield _entry(raw, start + 1), (start, index)


def _opens_multiline(raw: str) -> bool:
    return '="' in raw and not _closes_multiline(raw, started=True)


def _closes_multiline(raw: str, *, started: bool) -> bool:
    """phpdotenv's test: count the quotes that no backslash escapes (escaped backslashes removed
    first); the opening line needs its own quote and another."""
    if raw == '"':
        return True
    unescaped = len(re.findall(r'(?=[^\\]")', raw.replace("\\\\", "")))
    return unescaped > 1 if started else unescaped >= 1


def _entry(raw: str, number: int) -> Variable:
    name, equals, value = raw.partition("=")
    if not equals:  # phpdotenv trims a name only when a value follows it
        return Variable(_name(raw, number), None, number)
    name = _name(name.strip(_PHP_TRIM), number)
    chars, references = _value(value.strip(_PHP_TRIM), number)
    return Variable(name, chars, number, references)


def _name(name: str, number: int) -> str:
    if not name:
        raise DotenvError(f"Line {number}: an `=` with no name before it.")
    if len(name) > 8 and name.startswith("export") and name[6] in _SPACE:
        name = name[6:].lstrip(_PHP_TRIM)
    if len(name) > 2 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1]
    if not _PHPDOTENV_NAME_RE.fullmatch(name):
        raise DotenvError(f"Line {number}: {name!r} is not a valid variable name.")
    return name


def _value(value: str, number: int) -> tuple[str, bool]:
    """The value's characters and whether it holds references, by phpdotenv's state machine."""
    reader = _ValueReader(number)
    for piece in _TOKEN_RE.findall(value):
        reader.feed(piece)
    return reader.finish()


class _ValueReader:
    """phpdotenv's value states: what one piece means depends on where the reader is."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.state = "initial"
        self.chars: list[str] = []
        self.references = False

    def feed(self, piece: str) -> None:
        handler = getattr(self, f"_{self.state}")
        handler(piece)

    def finish(self) -> tuple[str, bool]:
        if self.state in ("single", "double", "escape"):
            self._fail("a missing closing quote")
        return "".join(self.chars), self.references

    def _fail(self, what: str) -> None:
        raise DotenvError(f"Line {self.number}: {what}.")

    def _add(self, chars: str, state: str, reference: bool = False) -> None:
        self.chars.append(chars)
        self.references |= reference
        self.state = state

    def _initial(self, piece: str) -> None:
        opening = {"'": "single", '"': "double", "#": "comment"}
        if piece in opening:
            self.state = opening[piece]
        else:
            self._add(piece, "unquoted", piece == "$")

    def _unquoted(self, piece: str) -> None:
        if piece == "#":
            self.state = "comment"
        elif piece[0] in _SPACE:
            self.state = "after"
        else:
            self._add(piece, "unquoted", piece == "$")

    def _single(self, piece: str) -> None:
        if piece == "'":
            self.state = "after"
        else:
            self._add(piece, "single")

    def _double(self, piece: str) -> None:
        if piece == '"':
            self.state = "after"
        elif piece == "\\":
            self.state = "escape"
        else:
            self._add(piece, "double", piece == "$")

    def _escape(self, piece: str) -> None:
        if piece in ('"', "\\", "$"):
            self._add(piece, "double")
        elif piece[0] in _ESCAPES:
            self._add(_ESCAPES[piece[0]] + piece[1:], "double")
        else:
            self._fail(f"an unknown escape \\{piece[0]} in a double-quoted value")

    def _after(self, piece: str) -> None:
        """After a closing quote or a space: only whitespace and a comment may follow."""
        if piece == "#":
            self.state = "comment"
        elif piece[0] not in _SPACE:
            self._fail("unexpected text after a value (quote a value that holds spaces)")

    def _comment(self, piece: str) -> None:
        pass
