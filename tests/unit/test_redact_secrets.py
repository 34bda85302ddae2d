"""brokeforge/lib/redact.py: a job's registered secrets are masked in every form the panel sends them,
wherever text is redacted while the job runs (its output, its commands, its logs)."""

from __future__ import annotations

import io
import json
import logging
import shlex
import sys
import threading
from collections.abc import Callable

import pytest

from brokeforge.lib.redact import (
    MASK,
    REDACTION_MARGIN_CHARS,
    RedactingFilter,
    Secrets,
    job_secrets,
    redact,
    redact_tail,
    secret_scope,
)
from brokeforge.lib.sql import mysql_string, pg_string

# Everything a quoting layer escapes: both quotes, a backslash, a newline, a non-ASCII letter.
PASSWORD = "pä'ss\"wo\\rd\nx9"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        (f"echo {PASSWORD}", f"echo {MASK}"),
        (f"echo {shlex.quote(PASSWORD)}", f"echo '{MASK}'"),
        (f"SELECT {mysql_string(PASSWORD)}", f"SELECT '{MASK}'"),
        (f"SELECT {pg_string(PASSWORD)}", f"SELECT E'{MASK}'"),
        (json.dumps({"value": PASSWORD}), json.dumps({"value": MASK}, ensure_ascii=False)),
        (
            json.dumps({"value": PASSWORD}, ensure_ascii=False),
            json.dumps({"value": MASK}, ensure_ascii=False),
        ),
        # SQL escaped, then quoted for the shell: what `mysql -e` is sent.
        (
            "mysql -e "
            + shlex.quote(f"CREATE USER 'app'@'localhost' IDENTIFIED BY {mysql_string(PASSWORD)}"),
            "mysql -e " + shlex.quote(f"CREATE USER 'app'@'localhost' IDENTIFIED BY '{MASK}'"),
        ),
        (
            "psql -c " + shlex.quote(f"ALTER ROLE app PASSWORD {pg_string(PASSWORD)}"),
            "psql -c " + shlex.quote(f"ALTER ROLE app PASSWORD E'{MASK}'"),
        ),
        # ... and that command once more inside `sh -c '...'` (sudo -u a site's user).
        (
            "sh -c " + shlex.quote("mysql -e " + shlex.quote(f"SELECT {mysql_string(PASSWORD)}")),
            "sh -c " + shlex.quote("mysql -e " + shlex.quote(f"SELECT '{MASK}'")),
        ),
    ],
)
def test_a_registered_secret_is_masked_in_every_form_it_is_sent_in(sent: str, shown: str) -> None:
    assert redact(sent, {PASSWORD}) == shown


def test_a_secret_with_nul_and_ctrl_z_is_masked_in_its_mysql_form() -> None:
    value = "nul\0ctrl\x1az"
    assert redact(f"SELECT {mysql_string(value)}", {value}) == f"SELECT '{MASK}'"


def test_overlapping_secrets_leave_no_part_of_either_readable() -> None:
    # One regular expression over both: taking "abcd1234" first must not leave "wxyz" showing.
    assert redact("[abcd1234wxyz]", {"abcd1234", "1234wxyz"}) == f"[{MASK}]"


def test_secrets_hold_values_without_showing_them() -> None:
    secrets = Secrets(["first-secret"])
    secrets.add("second-secret")
    secrets.add("second-secret")
    assert len(secrets) == 2
    assert "second-secret" in secrets and "other" not in secrets
    assert sorted(secrets) == ["first-secret", "second-secret"]
    assert "secret" not in repr(secrets).replace("Secrets", "")


def test_the_current_jobs_secrets_are_masked_by_every_redact_inside_its_scope() -> None:
    secrets = Secrets()
    with secret_scope(secrets) as scoped:
        assert scoped is secrets and job_secrets.get() is secrets
        secrets.add("generated-later-1")  # registered while the job runs
        assert redact("pw generated-later-1 and given-value-2", {"given-value-2"}) == f"pw {MASK} and {MASK}"
    assert job_secrets.get() is None
    assert redact("pw generated-later-1") == "pw generated-later-1"


def test_a_scope_ends_even_when_the_job_fails() -> None:
    outer = Secrets(["outer-secret"])
    with secret_scope(outer):
        with pytest.raises(RuntimeError), secret_scope(Secrets(["inner-secret"])):
            raise RuntimeError("job failed")
        assert job_secrets.get() is outer
        assert redact("inner-secret outer-secret") == f"inner-secret {MASK}"


def test_a_secret_added_while_another_thread_redacts_is_not_lost() -> None:
    secrets = Secrets()
    stop = threading.Event()

    def redact_all_the_time() -> None:
        while not stop.is_set():
            redact("x" * 1000, secrets)

    thread = threading.Thread(target=redact_all_the_time)
    thread.start()
    try:
        for i in range(200):
            secrets.add(f"secret-{i:04}")
    finally:
        stop.set()
        thread.join()
    assert len(secrets) == 200 and redact("secret-0199", secrets) == MASK


def test_the_tail_is_cut_after_redaction_so_a_secret_across_the_cut_stays_masked() -> None:
    secret = "Zq8-long-generated-password"
    raw = "start " + secret + " end"
    keep = len(" end") + 10  # the cut falls inside the secret
    naive = redact(raw[-keep:], {secret})
    assert secret[-10:] in naive  # cutting first leaves the secret's end readable
    assert redact_tail(raw, keep, {secret}) == f"start {MASK} end"[-keep:]


def test_the_tail_of_a_key_block_cut_in_the_middle_shows_none_of_it() -> None:
    body = "\n".join(f"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ{i:06}" for i in range(200))
    raw = f"log\n-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\nafter\n"
    tail = redact_tail(raw, len(raw) // 2)
    assert "b3BlbnNz" not in tail and tail.endswith(f"{MASK}\nafter\n")


def test_callers_keep_a_margin_of_64_kib() -> None:
    assert REDACTION_MARGIN_CHARS == 64 * 1024


def test_nothing_is_kept_when_nothing_is_asked_for() -> None:
    assert redact_tail("abc", 0) == ""


def _logger_output(emit: Callable[[logging.Logger], None]) -> str:
    """What a handler with the panel's filter writes when `emit(logger)` logs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_a_logged_traceback_is_redacted() -> None:
    def emit(logger: logging.Logger) -> None:
        try:
            raise RuntimeError("mysql -u root -pHunter22x failed; DB_PASSWORD='a b c'")
        except RuntimeError:
            logger.exception("command failed")

    text = _logger_output(emit)
    assert "Traceback" in text and "RuntimeError" in text
    assert "Hunter22x" not in text and "a b c" not in text
    assert f"-p{MASK}" in text


def test_the_filter_leaves_the_redacted_traceback_for_handlers_to_print() -> None:
    try:
        raise ValueError("token=abc123def")
    except ValueError:
        entry = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, None)
        entry.exc_info = sys.exc_info()
    RedactingFilter().filter(entry)
    assert entry.exc_info is None
    assert entry.exc_text is not None and f"token={MASK}" in entry.exc_text
    assert "abc123def" not in logging.Formatter().format(entry)


def test_the_jobs_secrets_are_masked_in_logs_and_stack_info() -> None:
    def emit(logger: logging.Logger) -> None:
        with secret_scope(Secrets(["job-generated-pw"])):
            logger.warning("running with %s", "job-generated-pw", stack_info=True)

    text = _logger_output(emit)
    assert "job-generated-pw" not in text
    assert f"running with {MASK}" in text and "Stack (most recent call last)" in text


def test_the_filter_does_not_raise_on_a_bad_format_and_still_redacts_the_traceback() -> None:
    try:
        raise ValueError("token=abc123def")
    except ValueError:
        entry = logging.LogRecord("t", logging.INFO, __file__, 1, "%d apples", ("many",), sys.exc_info())
    assert RedactingFilter().filter(entry) is True
    assert entry.exc_text is not None and "abc123def" not in entry.exc_text


def test_lower_casing_that_changes_the_length_does_not_shift_the_mask() -> None:
    # "İ".lower() is two characters: spans found in the lower-cased text would not line up.
    assert redact("İİİ password=hunter22 İ") == f"İİİ password={MASK} İ"
