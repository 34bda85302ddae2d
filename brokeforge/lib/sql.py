"""Quoting of SQL identifiers and string literals for MariaDB/MySQL and PostgreSQL.

Some statements cannot take bind parameters: `CREATE USER ... IDENTIFIED BY ...`, `CREATE ROLE`,
`GRANT`, `CREATE DATABASE` name users, passwords and databases in the statement text itself, and the
panel sends them to a server's `mysql` or `psql` client through a shell. These helpers turn any value
into a literal or identifier that the engine reads back as exactly that value, and refuse (ValueError)
what an engine cannot represent rather than store something else. Quoting for the shell comes after,
with `shlex.quote` on the whole statement.

lib/redact.py masks secrets in the forms produced here, so a change of escaping here is followed there.
"""

from __future__ import annotations

# MariaDB/MySQL: identifiers are at most 64 characters. Longer ones are an error there too, but we
# say so before anything runs.
MYSQL_IDENTIFIER_MAX_CHARS = 64
# PostgreSQL: NAMEDATALEN - 1 bytes. A longer identifier is silently truncated by the server, so a
# role or database would be created under another name than the one we record: refuse it instead.
PG_IDENTIFIER_MAX_BYTES = 63

# str.translate maps each character once, so the order of the entries does not matter.
_MYSQL_STRING_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        # Doubled, not backslash-escaped: `''` means one quote in every sql_mode, while `\'` under
        # NO_BACKSLASH_ESCAPES is a backslash followed by the end of the literal (an injection).
        # With every quote doubled a literal can only end at our closing quote, whatever the mode.
        "'": "''",
        '"': '\\"',
        "\0": "\\0",
        "\n": "\\n",
        "\r": "\\r",
        "\x1a": "\\Z",
    }
)


def _check_identifier(name: str, engine: str) -> None:
    if not name:
        raise ValueError(f"A {engine} identifier cannot be empty.")
    if "\0" in name:
        raise ValueError(f"A {engine} identifier cannot contain a NUL character.")


def mysql_identifier(name: str) -> str:
    """`name` as a MariaDB/MySQL quoted identifier: in backticks, each backtick doubled.

    Backticks rather than double quotes: double quotes quote identifiers only under the ANSI_QUOTES
    sql_mode, backticks always do.
    """
    _check_identifier(name, "MariaDB")
    if len(name) > MYSQL_IDENTIFIER_MAX_CHARS:
        raise ValueError(
            f"A MariaDB identifier is at most {MYSQL_IDENTIFIER_MAX_CHARS} characters; "
            f"this one has {len(name)}."
        )
    if any(ord(char) > 0xFFFF for char in name):
        # Documented limit: quoted identifiers may hold the Basic Multilingual Plane only (no emoji).
        raise ValueError("A MariaDB identifier cannot contain characters outside the Unicode BMP (emoji).")
    return "`" + name.replace("`", "``") + "`"


def mysql_string(value: str) -> str:
    """`value` as a MariaDB/MySQL single-quoted string literal.

    Never double-quoted: under ANSI_QUOTES a double-quoted "literal" is an identifier. Quotes are
    doubled so no sql_mode lets the value end the literal early; backslash, double quote, NUL,
    newline, CR and Ctrl-Z are backslash-escaped as mysql_real_escape_string does, so the statement
    stays on one printable line in the shell and the journal and the value round-trips exactly in
    the default sql_mode (MariaDB's default; the panel never sets NO_BACKSLASH_ESCAPES).
    """
    return "'" + value.translate(_MYSQL_STRING_ESCAPES) + "'"


def pg_identifier(name: str) -> str:
    """`name` as a PostgreSQL quoted identifier: in double quotes, each double quote doubled.

    Quoting also keeps the case as given (unquoted identifiers are folded to lower case).
    """
    _check_identifier(name, "PostgreSQL")
    size = len(name.encode())  # a lone surrogate raises UnicodeEncodeError, a ValueError
    if size > PG_IDENTIFIER_MAX_BYTES:
        raise ValueError(
            f"A PostgreSQL identifier is at most {PG_IDENTIFIER_MAX_BYTES} bytes (UTF-8); "
            f"this one has {size}, and PostgreSQL would silently truncate it."
        )
    return '"' + name.replace('"', '""') + '"'


def pg_string(value: str) -> str:
    """`value` as a PostgreSQL string literal.

    Without a backslash in the value: a standard `'...'` literal with quotes doubled, which reads the
    same whatever `standard_conforming_strings` is set to. With a backslash: an escape string
    `E'...'` with backslashes doubled too. We do not rely on standard_conforming_strings being on
    (the default since 9.1): a role or database can turn it off, and then a backslash in a plain
    literal becomes an escape character, so `\\'` would end the literal early. `E'...'` means the
    same under either setting, so the value comes back exactly in both.

    NUL cannot be stored in a PostgreSQL text value at all: ValueError.
    """
    if "\0" in value:
        raise ValueError("PostgreSQL text cannot contain a NUL character.")
    body = value.replace("'", "''")
    if "\\" in value:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def mysql_grant_database(name: str) -> str:
    """A database named in GRANT or REVOKE: there `_` and `%` are wildcards (`my_db` would also
    grant on `myXdb`), so each is escaped with a backslash to mean itself, and so is a backslash."""
    escaped = name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return mysql_identifier(escaped)


def psql_argument(value: str) -> str:
    """`value` as one argument of a psql meta-command (`\\connect NAME`): single-quoted, a quote
    doubled, a backslash doubled (psql reads escapes there). A meta-command ends at the line's end,
    so a line break is refused."""
    if any(char in value for char in "\0\n\r"):
        raise ValueError("A psql argument cannot contain a line break or NUL.")
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
