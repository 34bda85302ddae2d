"""Failed sign-ins are limited per account across addresses and per address across accounts, by the
client's real address behind the proxy, in counts every panel process shares."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.web import ratelimit
from tests.queue.conftest import database_url
from tests.web.conftest import PASSWORD
from tests.web.https import apply_public_url, via_proxy
from tests.workers import REPO

REFUSED = "Too many failed sign-in attempts"


def attempt(username: str, password: str, **meta: str) -> str:
    """The page a user sees after trying to sign in (a fresh browser each time)."""
    response = Client().post(reverse("login"), {"username": username, "password": password}, **meta)
    if response.status_code == 302:
        return "signed in"
    return response.content.decode()


def from_address(address: str) -> dict[str, str]:
    return {"REMOTE_ADDR": address}


@pytest.fixture
def behind_https(settings: Any) -> None:
    apply_public_url(settings)


def test_one_account_from_many_addresses_is_limited(user: User, other_user: User) -> None:
    for number in range(ratelimit.ACCOUNT_LIMIT):
        assert REFUSED not in attempt("alice", "wrong", **from_address(f"198.51.100.{number + 1}"))
    page = attempt("alice", PASSWORD, **from_address("203.0.113.99"))
    assert "Too many failed sign-in attempts for this account." in page
    # The limit is the account's: someone else from the same new address signs in.
    assert attempt("mallory", PASSWORD, **from_address("203.0.113.99")) == "signed in"


def test_one_address_trying_many_accounts_is_limited(user: User) -> None:
    for number in range(ratelimit.ADDRESS_LIMIT):
        assert REFUSED not in attempt(f"guess{number}", "wrong", **from_address("203.0.113.9"))
    page = attempt("alice", PASSWORD, **from_address("203.0.113.9"))
    assert "Too many failed sign-in attempts from your address." in page
    assert attempt("alice", PASSWORD, **from_address("203.0.113.10")) == "signed in"


def test_a_success_does_not_clear_what_others_failed(user: User) -> None:
    for number in range(ratelimit.ACCOUNT_LIMIT - 1):
        attempt("alice", "wrong", **from_address(f"198.51.100.{number + 1}"))
    assert attempt("alice", PASSWORD, **from_address("192.0.2.1")) == "signed in"
    attempt("alice", "wrong", **from_address("198.51.100.200"))
    assert "for this account." in attempt("alice", PASSWORD, **from_address("192.0.2.1"))


def test_spellings_of_one_username_are_one_account(user: User) -> None:
    full_width = "".join(chr(ord(letter) + 0xFEE0) for letter in "alice")  # what NFKC folds to "alice"
    spellings = ["alice", "Alice", " ALICE ", full_width, "aLiCe"]
    for spelling in spellings:
        assert REFUSED not in attempt(spelling, "wrong", **from_address("198.51.100.7"))
    assert REFUSED in attempt("alice", PASSWORD, **from_address("198.51.100.7"))


def test_addresses_of_one_ipv6_block_are_one_address(user: User) -> None:
    for number in range(ratelimit.LIMIT):
        assert REFUSED not in attempt("alice", "wrong", **from_address(f"2001:db8:1:2::{number + 1:x}"))
    assert REFUSED in attempt("alice", PASSWORD, **from_address("2001:db8:1:2:ffff:ffff:ffff:ffff"))
    assert attempt("alice", PASSWORD, **from_address("2001:db8:1:3::1")) == "signed in"


@pytest.mark.usefixtures("behind_https")
def test_the_proxy_forwards_the_real_client_address(user: User) -> None:
    for _ in range(ratelimit.LIMIT):
        attempt("alice", "wrong", **via_proxy("198.51.100.7"))
    assert REFUSED in attempt("alice", PASSWORD, **via_proxy("198.51.100.7"))
    # Another client behind the same proxy is another address: not locked out with the first.
    assert attempt("alice", PASSWORD, **via_proxy("198.51.100.8")) == "signed in"


@pytest.mark.usefixtures("behind_https")
def test_what_the_client_writes_before_the_proxy_does_not_change_its_address(user: User) -> None:
    for number in range(ratelimit.LIMIT):
        attempt("alice", "wrong", **via_proxy(f"10.9.9.{number}, 198.51.100.7"))
    assert REFUSED in attempt("alice", PASSWORD, **via_proxy("10.9.9.250, 198.51.100.7"))


def test_a_stranger_cannot_choose_its_address(user: User) -> None:
    # Straight to the panel, not through the proxy, with a new X-Forwarded-For each time.
    for number in range(ratelimit.LIMIT):
        meta = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": f"198.51.100.{number + 1}"}
        assert REFUSED not in attempt("alice", "wrong", **meta)
    meta = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "198.51.100.77"}
    assert "for this account from your address" in attempt("alice", PASSWORD, **meta)


def _in_another_process(code: str) -> str:
    env = {
        **os.environ,
        "BROKEFORGE_DATABASE_URL": database_url(),
        "BROKEFORGE_HOME": str(settings.HOME),
        "DJANGO_SETTINGS_MODULE": "brokeforge.settings",
        "PYTHONPATH": str(REPO),
    }
    program = f"import django; django.setup()\nfrom brokeforge.web import ratelimit\n{code}"
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_counts_are_shared_by_every_process(user: User) -> None:
    for _ in range(ratelimit.LIMIT - 1):
        attempt("alice", "wrong", **from_address("198.51.100.7"))
    # Another panel process (a second uvicorn, a second machine of the scale-out mode) sees them,
    # and its own failure counts here.
    assert _in_another_process("print(ratelimit.is_blocked('alice', '198.51.100.7'))") == "False"
    _in_another_process("ratelimit.record_failure('alice', '198.51.100.7')")
    assert REFUSED in attempt("alice", PASSWORD, **from_address("198.51.100.7"))
    assert _in_another_process("print(ratelimit.is_blocked('alice', '198.51.100.7'))") == "True"
