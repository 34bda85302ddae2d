"""brokeforge/lib/sql.py: any value comes back from the engine exactly, or is refused with a reason.

The MariaDB helpers are checked against a reader that follows the server's documented lexing rules
(a real MariaDB comes with another issue); the PostgreSQL helpers against a real PostgreSQL started
here, by PID, as tests/pg_run.py does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from brokeforge.lib.sql import mysql_identifier, mysql_string, pg_identifier, pg_string
from tests import pg_run

HOSTILE = [
    "plain",
    "it's",
    'say "hi"',
    "back\\slash",
    "trailing backslash\\",
    "\\'",
    "\\\\''\\",
    "'; DROP TABLE x; --",
    '"; DROP TABLE x; --',
    "' OR '1'='1",
    "$(reboot)",
    "`reboot`",
    "a`b``c",
    "100% of_a_kind",
    "%s %(x)s",
    "line\nbreak",
    "carriage\rreturn",
    "tab\there",
    "ctrl-z\x1a",
    "key 🔑 rocket 🚀",
    "עברית \u202eRTL override",
    "العربية",
    "ünïcødé Ωmega",
    "''''",
    "E'not an escape string'",
    "$$dollar quoted$$",
    "/* comment */ -- comment",
    "\\0 is not a NUL",
    "   spaces around   ",
]


# -- MariaDB/MySQL ----------------------------------------------------------------------------------

# The escapes MariaDB reads in a string literal (default sql_mode); any other \x is x.
MYSQL_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def read_mysql_literal(sql: str, *, backslash_escapes: bool = True) -> tuple[str, str]:
    """Read the single-quoted literal `sql` starts with, as MariaDB lexes it: (value, what follows).

    `backslash_escapes=False` is sql_mode NO_BACKSLASH_ESCAPES, where a backslash is a plain character.
    """
    assert sql[0] == "'"
    value, i = [], 1
    while True:
        char = sql[i]  # IndexError: the literal never ends
        if char == "\\" and backslash_escapes:
            value.append(MYSQL_ESCAPES.get(sql[i + 1], sql[i + 1]))
            i += 2
        elif char == "'" and sql[i + 1 : i + 2] == "'":
            value.append("'")
            i += 2
        elif char == "'":
            return "".join(value), sql[i + 1 :]
        else:
            value.append(char)
            i += 1


@pytest.mark.parametrize("value", [*HOSTILE, "nul\0inside"])
def test_a_mysql_string_reads_back_as_exactly_the_value(value: str) -> None:
    assert read_mysql_literal(mysql_string(value) + " AND 1") == (value, " AND 1")


@pytest.mark.parametrize("value", [*HOSTILE, "nul\0inside"])
def test_a_mysql_string_cannot_be_ended_early_even_without_backslash_escapes(value: str) -> None:
    # Under NO_BACKSLASH_ESCAPES a \' would end the literal; '' never does.
    _value, rest = read_mysql_literal(mysql_string(value) + " AND 1", backslash_escapes=False)
    assert rest == " AND 1"


def test_a_mysql_string_keeps_the_statement_on_one_printable_line() -> None:
    literal = mysql_string("a'b\"c\\d\0e\nf\rg\x1ah")
    assert literal == "'a''b\\\"c\\\\d\\0e\\nf\\rg\\Zh'"
    assert not any(char in literal for char in "\0\n\r\x1a")


def test_a_mysql_string_is_never_double_quoted() -> None:
    # Under ANSI_QUOTES a double-quoted "literal" would be an identifier.
    assert all(mysql_string(value).startswith("'") for value in HOSTILE)


def read_backquoted(sql: str) -> tuple[str, str]:
    assert sql[0] == "`"
    value, i = [], 1
    while True:
        if sql[i] == "`" and sql[i + 1 : i + 2] == "`":
            value.append("`")
            i += 2
        elif sql[i] == "`":
            return "".join(value), sql[i + 1 :]
        else:
            value.append(sql[i])
            i += 1


@pytest.mark.parametrize("name", [v for v in HOSTILE if "🔑" not in v and len(v) <= 64])
def test_a_mysql_identifier_reads_back_as_exactly_the_name(name: str) -> None:
    assert read_backquoted(mysql_identifier(name) + ".*") == (name, ".*")


def test_a_mysql_identifier_doubles_backticks() -> None:
    assert mysql_identifier("a`b") == "`a``b`"


def test_a_mysql_identifier_may_have_64_characters() -> None:
    assert mysql_identifier("é" * 64) == "`" + "é" * 64 + "`"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "cannot be empty"),
        ("x" * 65, "at most 64 characters"),
        ("nul\0", "NUL"),
        ("key 🔑", "outside the Unicode BMP"),
    ],
)
def test_a_mysql_identifier_mariadb_cannot_hold_is_refused(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        mysql_identifier(name)


# -- PostgreSQL: the text of the quoting --------------------------------------------------------------


def test_a_pg_string_without_backslash_is_a_standard_literal() -> None:
    assert pg_string("it's") == "'it''s'"


def test_a_pg_string_with_a_backslash_is_an_escape_string() -> None:
    # E'' reads the same whatever standard_conforming_strings is set to.
    assert pg_string("a\\'b") == "E'a\\\\''b'"


def test_a_pg_string_refuses_nul() -> None:
    with pytest.raises(ValueError, match="PostgreSQL text cannot contain a NUL"):
        pg_string("nul\0inside")


def test_a_pg_identifier_doubles_double_quotes() -> None:
    assert pg_identifier('a"b') == '"a""b"'


def test_a_pg_identifier_may_have_63_bytes() -> None:
    assert pg_identifier("é" * 31 + "x") == '"' + "é" * 31 + 'x"'


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "cannot be empty"),
        ("x" * 64, "at most 63 bytes"),
        ("é" * 32, "at most 63 bytes"),  # 32 characters, 64 bytes: PostgreSQL would truncate it
        ("nul\0", "NUL"),
    ],
)
def test_a_pg_identifier_postgresql_cannot_hold_is_refused(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        pg_identifier(name)


# -- PostgreSQL: a real server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for this module: initdb, start, yield its conninfo, stop by PID."""
    if os.geteuid() != 0:
        pytest.fail("The PostgreSQL tests run the server as the postgres user: run them as root.")
    try:
        initdb, server_bin, isready = (pg_run.pg_bin(name) for name in ("initdb", "postgres", "pg_isready"))
    except SystemExit as exc:  # pg_bin's way of saying the binaries are missing
        pytest.fail(f"Cannot run the PostgreSQL tests: {exc}")
    data = Path(tempfile.mkdtemp(prefix="brokeforge-pg-quoting-"))
    shutil.chown(data, "postgres", "postgres")
    port = pg_run.free_port()
    # UTF8 whatever the machine's locale, or emoji could not be stored.
    init = pg_run.as_postgres(
        [initdb, "-D", str(data / "db"), "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--no-locale"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _out, err = init.communicate()
    if init.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        pytest.fail(f"initdb failed: {err.decode(errors='replace')}")
    log = data / "log"
    server = pg_run.as_postgres(
        [server_bin, "-D", str(data / "db"), "-p", str(port), "-k", str(data),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([isready, "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode:
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"PostgreSQL did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        _stop(server, data / "db" / "postmaster.pid")
        shutil.rmtree(data, ignore_errors=True)


def _stop(server: subprocess.Popen[bytes], pid_file: Path) -> None:
    """Fast shutdown (SIGINT) of the postmaster by its PID, then wait for runuser around it."""
    try:
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
    except (OSError, ValueError, IndexError):
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture
def cur(postgres: str) -> Iterator[psycopg.Cursor[Any]]:
    with psycopg.connect(postgres, autocommit=True) as connection, connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS x")
        cur.execute("CREATE TABLE x (id int)")  # what '; DROP TABLE x; -- would drop
        yield cur
        cur.execute("SELECT to_regclass('x') IS NOT NULL")
        assert cur.fetchone() == (True,), "table x was dropped: a value escaped its quoting"


@pytest.mark.postgres
@pytest.mark.parametrize("standard_conforming_strings", ["on", "off"])
def test_postgresql_reads_every_pg_string_back_exactly(
    cur: psycopg.Cursor[Any], standard_conforming_strings: str
) -> None:
    # Run without bind parameters, as the statements the panel sends to psql are.
    cur.execute(f"SET standard_conforming_strings = {standard_conforming_strings}")
    for value in HOSTILE:
        cur.execute(f"SELECT {pg_string(value)}")
        assert cur.fetchone() == (value,), f"{value!r} came back changed"


@pytest.mark.postgres
def test_postgresql_creates_a_role_named_exactly_by_every_pg_identifier(cur: psycopg.Cursor[Any]) -> None:
    for name in HOSTILE:
        cur.execute(f"CREATE ROLE {pg_identifier(name)}")
        try:
            cur.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
            assert cur.fetchone() == (1,), f"no role named exactly {name!r}"
        finally:
            cur.execute(f"DROP ROLE {pg_identifier(name)}")


@pytest.mark.postgres
def test_postgresql_role_names_at_the_byte_limit_are_kept_whole(cur: psycopg.Cursor[Any]) -> None:
    name = "é" * 31 + "x"  # 63 bytes: the longest name PostgreSQL keeps as given
    cur.execute(f"CREATE ROLE {pg_identifier(name)}")
    try:
        cur.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
        assert cur.fetchone() == (1,)
    finally:
        cur.execute(f"DROP ROLE {pg_identifier(name)}")
