"""Database passwords computed in the panel (lib/db_passwords.py) are what MariaDB and PostgreSQL
store for the plain password: checked against published vectors here, and by real servers logging
in with hostile passwords in tests/integration/test_db_passwords.py."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from brokeforge.lib.db_passwords import mysql_native_password, saslprep, scram_sha_256


def test_mysql_native_password_is_sha1_of_sha1() -> None:
    # MySQL's documented PASSWORD('password').
    assert mysql_native_password("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_scram_verifier_matches_the_rfc_7677_exchange() -> None:
    """RFC 7677, section 3: user "user", password "pencil". The proof the client sends and the
    signature the server answers are derived from the keys our verifier stores."""
    salt = _b64("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_sha_256("pencil", salt, 4096)
    head, keys = verifier.split("$", 1)[1].split("$")
    assert head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (_b64(part) for part in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (
        f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}"
    ).encode()
    client_proof = _b64("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_signature = hmac.digest(stored_key, auth_message, "sha256")
    client_key = bytes(a ^ b for a, b in zip(client_proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key  # the server accepts the proof
    server_signature = hmac.digest(server_key, auth_message, "sha256")
    assert base64.b64encode(server_signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_each_verifier_gets_its_own_salt() -> None:
    assert scram_sha_256("same") != scram_sha_256("same")


@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("I\u00adX", "IX"),  # soft hyphen: mapped to nothing
        ("user", "user"),
        ("USER", "USER"),
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # NFKC
        ("a\u00a0b", "a b"),  # non-ASCII space: mapped to a space
        ("\u0007", None),  # control character: prohibited
        ("\u0627\u0031", None),  # right-to-left text must end right-to-left
        ("p\u00e4ss w\u00f6rd \u20ac", "p\u00e4ss w\u00f6rd \u20ac"),
    ],
)
def test_saslprep_follows_rfc_4013(text: str, prepared: str | None) -> None:
    assert saslprep(text) == prepared


def test_a_password_saslprep_refuses_is_used_as_it_is() -> None:
    salt = b"0123456789abcdef"
    assert scram_sha_256("bell\u0007", salt) != scram_sha_256("bell", salt)
