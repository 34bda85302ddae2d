"""brokeforge/lib/redact.py: nothing secret-looking is stored or logged."""

import logging

import pytest

from brokeforge.lib.redact import MASK, RedactingFilter, redact
from brokeforge.ssh import generate_keypair


def test_a_private_key_block_is_masked_whole() -> None:
    key = generate_keypair("test").private_key
    text = f"before\n{key}after\n"
    assert redact(text) == f"before\n{MASK}\nafter\n"


@pytest.mark.parametrize("kind", ["RSA ", "EC ", "ENCRYPTED ", ""])
def test_every_kind_of_private_key_block_is_masked(kind: str) -> None:
    text = f"-----BEGIN {kind}PRIVATE KEY-----\nMIIEabc\n-----END {kind}PRIVATE KEY-----"
    assert redact(text) == MASK


def test_a_truncated_private_key_is_masked_to_the_end() -> None:
    assert redact("key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk") == f"key:\n{MASK}"


def test_a_public_key_is_left_alone() -> None:
    public = generate_keypair("test").public_key
    assert redact(public) == public


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("password=hunter22", f"password={MASK}"),
        ("mysql --password hunter22 -e 'select 1'", f"mysql --password {MASK} -e 'select 1'"),
        ("PASSWORD: hunter22", f"PASSWORD: {MASK}"),
        ('{"password": "hunter22", "user": "bob"}', f'{{"password": "{MASK}", "user": "bob"}}'),
        ("PGPASSWORD=hunter22 psql", f"PGPASSWORD={MASK} psql"),
        ("api_key=abc123def", f"api_key={MASK}"),
        ("export API-KEY='abc123def'", f"export API-KEY='{MASK}'"),
        ("token: ghp_abcdef", f"token: {MASK}"),
        ("secret=xyz", f"secret={MASK}"),
        ("passwd=hunter22;next", f"passwd={MASK};next"),
    ],
)
def test_password_assignments_are_masked(text: str, clean: str) -> None:
    assert redact(text) == clean


def test_ordinary_output_is_left_alone() -> None:
    text = "Setting up nginx (1.22.1-9) ...\nAll 12 checks passed.\n"
    assert redact(text) == text


def test_registered_secrets_are_masked_wherever_they_appear() -> None:
    text = "CREATE USER 'app' IDENTIFIED BY 'Zq8-long-Secret'; -- Zq8-long-Secret"
    assert redact(text, {"Zq8-long-Secret"}) == f"CREATE USER 'app' IDENTIFIED BY '{MASK}'; -- {MASK}"


def test_a_longer_secret_is_masked_before_its_prefix() -> None:
    # Masking "abcd" first would leave "efgh" of the longer secret showing.
    assert redact("x abcdefgh y", {"abcd", "abcdefgh"}) == f"x {MASK} y"


def test_short_or_empty_secrets_are_not_masked_everywhere() -> None:
    assert redact("a bc 1 2 3", {"", "a", "bc"}) == "a bc 1 2 3"


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, msg, args, None)


def test_logging_filter_masks_the_formatted_message() -> None:
    entry = record("connecting with %s", "password=hunter22")
    assert RedactingFilter().filter(entry) is True
    assert entry.getMessage() == f"connecting with password={MASK}"


def test_logging_filter_leaves_clean_records_untouched() -> None:
    entry = record("server #%s ready", 7)
    RedactingFilter().filter(entry)
    assert (entry.msg, entry.args) == ("server #%s ready", (7,))


def test_the_panels_log_handler_redacts() -> None:
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactingFilter) for handler in handlers for f in handler.filters)


def test_nginx_fastcgi_pass_stays_readable() -> None:
    line = "fastcgi_pass unix:/run/php/php8.2-fpm.sock;"
    assert redact(line) == line
