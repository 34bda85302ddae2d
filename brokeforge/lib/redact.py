"""Redaction of secrets from anything we store or print: job output, commands, logs.

Two layers: patterns that always look secret (private key blocks, password assignments), and
exact values a job registered as secret while it ran (generated passwords, tokens).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "••••••"

_PATTERNS = [
    # A private key block, whole, whatever its type.
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL),
    # password=..., --password ..., DB_PASSWORD: ... and the like. A bare "pass" only as a word of
    # its own, so nginx's `fastcgi_pass unix:...` stays readable in the journal.
    re.compile(
        r"(?i)((?:\w*(?:password|passwd|secret|token|api[_-]?key)|\bpass\b)[\"']?\s*(?:[:=]|\s)\s*[\"']?)"
        r"([^\s\"',;]{3,})"
    ),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(MASK, text)
    return _PATTERNS[1].sub(lambda m: m.group(1) + MASK, text)


class RedactingFilter(logging.Filter):
    """Logging filter: nothing secret-looking reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
