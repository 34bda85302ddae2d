"""Redaction of secrets from anything we store or print: job output, commands, logs.

Two layers:
- exact values registered as secret (generated passwords, tokens, keys), masked in every form the
  panel sends them in: raw, quoted for the shell, escaped in a MariaDB or PostgreSQL string literal,
  escaped in JSON. A job registers its values in a `Secrets` holder that `secret_scope()` makes
  current, so everything redacted while the job runs masks them, logs included;
- patterns that always look secret: private key blocks, PuTTY keys, credentials in URLs, passwords
  on mysql command lines and in SQL, Authorization headers, password/secret/token assignments.

This runs on every output flush of a job (a few times a second, on up to a few hundred KB), so the
patterns are compiled once, each is skipped when a cheap substring test shows it cannot match, and
the registered values become one regular expression, cached per set of values.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import lru_cache

from brokeforge.lib import sql

MASK = "••••••"
# Shorter registered values are not masked: masking "abc" everywhere would shred ordinary output.
MIN_SECRET_LENGTH = 4
# Callers keeping the tail of a long output keep this much more raw text than they show, and
# redact it whole (redact_tail): a secret or key block cut by the window's start is then either
# masked or entirely outside the part shown.
REDACTION_MARGIN_CHARS = 64 * 1024


class Secrets:
    """The secret values of one job, growing while it runs (a password generated in step 3).

    Values shorter than MIN_SECRET_LENGTH are kept but not masked.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._frozen: frozenset[str] = frozenset()
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        if value and value not in self._frozen:
            with self._lock:  # two threads adding at once must not drop one of the values
                self._frozen = self._frozen | {value}

    def frozen(self) -> frozenset[str]:
        """A snapshot, safe to use while another thread adds (the heartbeat, the SSH loop)."""
        return self._frozen

    def __iter__(self) -> Iterator[str]:
        return iter(self._frozen)

    def __contains__(self, value: object) -> bool:
        return value in self._frozen

    def __len__(self) -> int:
        return len(self._frozen)

    def __repr__(self) -> str:  # never the values themselves
        return f"<Secrets: {len(self)} values>"


job_secrets: ContextVar[Secrets | None] = ContextVar("job_secrets", default=None)


@contextmanager
def secret_scope(secrets: Secrets) -> Iterator[Secrets]:
    """Make `secrets` the current job's: every redact() inside masks them too.

    A ContextVar follows the code that runs the job, not the thread: work handed to another thread
    runs outside the scope unless it is started with contextvars.copy_context().
    """
    token = job_secrets.set(secrets)
    try:
        yield secrets
    finally:
        job_secrets.reset(token)


# -- registered values ------------------------------------------------------------------------------


def _shell_embedded(text: str) -> str:
    """How `text` reads inside a shlex.quote()d string: each ' becomes '"'"'."""
    quoted = shlex.quote(text)
    return quoted[1:-1] if quoted != text else text


def _literal_body(literal: str) -> str:
    """The inside of a quoted SQL literal: 'x' or E'x' -> x."""
    return literal[literal.index("'") + 1 : -1]


def secret_forms(value: str) -> set[str]:
    """Every form in which the panel may send `value`, so that each is masked whole.

    A form that is a literal's inside (MariaDB, PostgreSQL, JSON) leaves the quotes around the mask,
    as the raw value does: `IDENTIFIED BY '••••••'`. Each form also as it reads once and twice inside
    shell quoting (a SQL statement passed to `mysql -e`, that command run through `sudo ... sh -c`).
    """
    forms = {
        value,
        _literal_body(sql.mysql_string(value)),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    with suppress(ValueError):  # a NUL: PostgreSQL cannot be sent this value at all
        forms.add(_literal_body(sql.pg_string(value)))
    once = {_shell_embedded(form) for form in forms}
    return forms | once | {_shell_embedded(form) for form in once}


@lru_cache(maxsize=64)
def _values_pattern(values: frozenset[str]) -> re.Pattern[str] | None:
    forms: set[str] = set()
    for value in values:
        if len(value) >= MIN_SECRET_LENGTH:
            forms |= secret_forms(value)
    if not forms:
        return None
    # Longest first: where two forms start at one place, the longer is masked whole.
    return re.compile("|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)))


# -- patterns ---------------------------------------------------------------------------------------

_KEY_MARKER = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"  # PGP says "PRIVATE KEY BLOCK"

# A SQL or shell quoted value's inside, up to its closing quote or the end of the line (a value cut
# short is still masked). '' is a quote in SQL, '"'"' a quote inside shell quoting, \x an escape.
_SINGLE = r"""'(?P<single>(?:''|'"'"'|\\.|[^'\n])*)(?:'|$)"""
_DOUBLE = r""""(?P<double>(?:""|\\.|[^"\n])*)(?:"|$)"""
# A SQL literal seen through shell quoting: mysql -e 'CREATE USER ... BY '"'"'x'"'"''
_SHELL_SINGLE = r"""'"'"'(?P<shell>(?:'"'"''"'"'|(?!'"'"').)*)(?:'"'"'|$)"""
# An unquoted value: a word, not the punctuation that ends it in JSON, shell or config lines.
_BARE = r"""(?P<bare>[^\s"',;]{3,})"""
_QUOTED_OR_BARE = rf"(?:{_SINGLE}|{_DOUBLE}|{_BARE})"
_VALUE_GROUPS = ("value", "shell", "single", "double", "bare")

Span = tuple[int, int]


class _Rule:
    """A pattern and what of its match is masked: the whole match, or its value group.

    Every pattern starts with a literal where it can (no leading word boundary or class), which lets
    the regex engine skip ahead instead of trying the pattern at every character. A `folded` rule is
    case-insensitive: its pattern is written in lower case and run over the lower-cased text (many
    times faster than re.IGNORECASE), its spans applied to the original text. `hint` is a substring
    without which the pattern cannot match, tested first.
    """

    def __init__(
        self, pattern: str, flags: int = 0, *, hint: str = "", whole: bool = False, folded: bool = False
    ) -> None:
        self.pattern = re.compile(pattern, flags)
        # For the rare text whose lower-casing changes its length (spans would not line up).
        self.pattern_ignorecase = re.compile(pattern, flags | re.IGNORECASE) if folded else self.pattern
        self.hint = hint
        self.whole = whole
        self.folded = folded

    def spans(self, text: str, lower: str) -> Iterator[Span]:
        if self.hint not in (lower if self.folded else text):
            return
        if not self.folded:
            matches = self.pattern.finditer(text)
        elif len(lower) == len(text):
            matches = self.pattern.finditer(lower)
        else:
            matches = self.pattern_ignorecase.finditer(text)
        for match in matches:
            span = match.span() if self.whole else _value_span(match)
            if span[0] < span[1]:  # an empty value stays as it is
                yield span


def _value_span(match: re.Match[str]) -> Span:
    groups = match.re.groupindex
    for name in _VALUE_GROUPS:
        if name in groups and match.start(name) >= 0:
            return match.span(name)
    raise AssertionError(f"no value group took part in {match.re.pattern!r}")


_RULES = [
    # A private key block, whole, whatever its type (OpenSSH, PKCS#1/#8, EC, encrypted, PGP); one cut
    # short is masked to the end of the text.
    _Rule(
        rf"-----BEGIN {_KEY_MARKER}.*?(?:-----END {_KEY_MARKER}|\Z)",
        re.DOTALL,
        hint="PRIVATE KEY",
        whole=True,
    ),
    # A PuTTY key file (PuTTY-User-Key-File-2/-3): its private lines up to the MAC line, or the end.
    _Rule(r"Private-Lines:.*?(?:Private-MAC:[^\r\n]*|\Z)", re.DOTALL, hint="Private-Lines:", whole=True),
    # The end of a key whose start is not in the text (a window on a long output began inside it):
    # everything from the start of the text to it.
    _Rule(rf"\A.*?-----END {_KEY_MARKER}", re.DOTALL, hint="PRIVATE KEY", whole=True),
    _Rule(r"\A.*?Private-MAC:[^\r\n]*", re.DOTALL, hint="Private-MAC:", whole=True),
    # scheme://user:password@host: the password only. No / ? # in it: those end the authority, so
    # http://host:8080/path?mail=a@b is left alone.
    _Rule(r"://[^\s:/?#@]*:(?P<value>[^\s/?#@]+)@", hint="://"),
    # mysql -u root -pSECRET (the password attached to -p), only on a mysql/mariadb client's command
    # line, within 200 characters of its name (unbounded, a long line naming mysql often would take
    # quadratic time): ordinary text (`mkdir -p /var/www`, `ssh -p 2222`, `gcc -pipe`) stays readable.
    _Rule(
        r"(?:mysql|mariadb)[\w-]*\b[^\n;|&]{0,200}?\s-p"
        r"""(?P<value>(?:'[^'\n]*'|"(?:\\.|[^"\\\n])*"|[^\s'";|&])+)""",
        hint="-p",
    ),
    # SQL: IDENTIFIED BY '...', IDENTIFIED BY PASSWORD '*hash', PASSWORD('...'), PostgreSQL's
    # PASSWORD '...' / E'...', also in a statement quoted for the shell.
    _Rule(
        r"(?:identified\s+(?:(?:with|via)\s+\w+\s+)?(?:by|as|using)(?:\s+password)?|password)"
        rf"(?:\s*[=(]\s*|\s+)e?(?:{_SHELL_SINGLE}|{_SINGLE}|{_DOUBLE})",
        re.MULTILINE,
        folded=True,
    ),
    # Authorization: Bearer|Basic|Token <credentials> (Proxy-Authorization too).
    _Rule(
        r"""authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token|digest)\s+(?P<value>[^\s"',;]+)""",
        hint="authorization",
        folded=True,
    ),
    # password=..., --password ..., PGPASSWORD=..., "token": "...", api-key='...' and the like.
    # A bare "pass" only as a word of its own, so nginx's `fastcgi_pass unix:...` stays readable.
    _Rule(
        r"(?:password|passwd|secret(?:[_-]?key)?|token|api[_-]?key|pass\b(?<=\bpass))"
        rf"""["']?\s*(?:[:=]|\s)\s*{_QUOTED_OR_BARE}""",
        re.MULTILINE,
        folded=True,
    ),
    # APP_KEY=..., AWS_SECRET_ACCESS_KEY="...": *_KEY in capitals only (environment variables), and
    # only with = or :, so `primary_key=True` and prose about keys stay readable.
    _Rule(rf"""_KEY["']?\s*[:=]\s*{_QUOTED_OR_BARE}""", re.MULTILINE, hint="_KEY"),
]


def _mask_spans(text: str, spans: Iterable[Span]) -> str:
    """`text` with each span (in order, possibly overlapping) replaced by one MASK per merged run."""
    parts: list[str] = []
    done = 0  # text[:done] is in parts
    start = end = -1  # the run being merged
    for span_start, span_end in spans:
        if span_start > end:
            if end >= 0:
                parts += [text[done:start], MASK]
                done = end
            start = span_start
        end = max(end, span_end)
    if end < 0:
        return text
    parts += [text[done:start], MASK, text[end:]]
    return "".join(parts)


def _value_spans(text: str, pattern: re.Pattern[str]) -> Iterator[Span]:
    """Where any form of a registered value is, overlapping places included.

    A plain sub() would take "abcd" at its place and then skip the start of an overlapping
    "bcdefgh", leaving "efgh" readable; so every starting place is searched.
    """
    match = pattern.search(text)
    while match is not None:
        yield match.span()
        match = pattern.search(text, match.start() + 1)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret masked: the values given, the current job's, and secret patterns."""
    values = secrets.frozen() if isinstance(secrets, Secrets) else frozenset(secrets)
    scoped = job_secrets.get()
    if scoped is not None:
        values |= scoped.frozen()
    pattern = _values_pattern(values) if values else None
    if pattern is not None:
        text = _mask_spans(text, _value_spans(text, pattern))
    lower = text.lower()
    for rule in _RULES:
        masked = _mask_spans(text, rule.spans(text, lower))
        if masked is not text:
            text, lower = masked, masked.lower()
    return text


def redact_tail(raw: str, keep_chars: int, secrets: Iterable[str] = ()) -> str:
    """The last `keep_chars` characters of `raw`, redacted as a whole before it is cut.

    Cutting first could split a secret or a key block at the cut and leave its rest readable, out
    of reach of any pattern. Callers keep REDACTION_MARGIN_CHARS more raw text than they show.
    """
    if keep_chars <= 0:
        return ""
    return redact(raw, secrets)[-keep_chars:]


class RedactingFilter(logging.Filter):
    """Logging filter: nothing secret-looking reaches a log handler, tracebacks included.

    The message is redacted once formatted; an exception's traceback is formatted here, redacted
    into `exc_text`, and `exc_info` cleared, so handlers print the redacted text (a traceback shows
    local source lines and exception messages, which may hold a password).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message: str | None = record.getMessage()
        except Exception:  # bad arguments: left for the handler to report, as without us
            message = None
        if message is not None and (cleaned := redact(message)) != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
