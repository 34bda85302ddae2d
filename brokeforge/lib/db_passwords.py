"""Database passwords as the servers store them, computed in the panel (issue 10's groundwork).

A database user's password never has to reach the server at all: MariaDB takes
`IDENTIFIED BY PASSWORD '<hash>'` and PostgreSQL takes `PASSWORD '<SCRAM verifier>'`, each exactly
what the server would have stored for the plain password. So no quote, backslash, `$` or `%` in a
password can be mangled by a shell or an SQL string on the way, and the password is in no server
log, process list or statement a failed query reports: only the verifier is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

# PostgreSQL's own default (scram_iterations).
SCRAM_ITERATIONS = 4096
SCRAM_SALT_BYTES = 16


def mysql_native_password(password: str) -> str:
    """MariaDB's mysql_native_password hash: "*" and the upper-case hex of SHA1(SHA1(password))."""
    inner = hashlib.sha1(password.encode(), usedforsecurity=False).digest()
    return "*" + hashlib.sha1(inner, usedforsecurity=False).hexdigest().upper()


def scram_sha_256(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's stored SCRAM-SHA-256 verifier (RFC 5802, RFC 7677), as pg_authid keeps it:
    SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, each in base64."""
    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", _scram_password(password), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scram_password(password: str) -> bytes:
    """The bytes PostgreSQL derives the keys from: the password after SASLprep (RFC 4013), or as
    it is when SASLprep refuses it (PostgreSQL's own fallback, so such passwords still work)."""
    prepared = saslprep(password)
    return (password if prepared is None else prepared).encode()


def saslprep(text: str) -> str | None:
    """SASLprep (RFC 4013, stringprep profile, unassigned code points allowed as in queries);
    None for a string it prohibits."""
    mapped = "".join(
        " " if stringprep.in_table_c12(char) else char for char in text if not stringprep.in_table_b1(char)
    )
    normal = unicodedata.normalize("NFKC", mapped)
    if not normal:
        return normal
    prohibited = (
        stringprep.in_table_a1,  # unassigned: prohibited in stored strings, as PostgreSQL does
        stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22, stringprep.in_table_c3,
        stringprep.in_table_c4, stringprep.in_table_c5, stringprep.in_table_c6, stringprep.in_table_c7,
        stringprep.in_table_c8, stringprep.in_table_c9,
    )  # fmt: skip
    if any(check(char) for char in normal for check in prohibited):
        return None
    return normal if _bidi_allowed(normal) else None


def _bidi_allowed(text: str) -> bool:
    """RFC 3454 section 6: right-to-left text must start and end with it, and hold no left-to-right."""
    if not any(stringprep.in_table_d1(char) for char in text):
        return True
    if any(stringprep.in_table_d2(char) for char in text):
        return False
    return stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])
