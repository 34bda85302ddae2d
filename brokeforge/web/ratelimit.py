"""Limits on failed sign-ins, counted in the database so every panel process shares the counts.

Three counts, each in a fixed window that opens with its first failure:
- an account from one client address: a person mistyping is stopped there, and only there;
- an account from any address: a botnet guessing one account's password from many addresses;
- a client address for any account: one address trying many accounts.
Once a count reaches its limit, further attempts it covers are refused until its window closes,
even with the right password, so guessing cannot go on in the background. A success clears only the
first count: the others belong to whoever else is failing against the account or from the address.

Usernames count case-insensitively and after Unicode normalisation, and an IPv6 client counts per
/64 (the block one customer is given), so rewriting the same name or address does not buy new tries.
The price of the account-wide limit: someone who knows a username can keep that account locked by
failing 20 times every 15 minutes. That is the trade for stopping a guess spread over many
addresses; the limit is high enough that its owner's typos never reach it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from brokeforge.lib.client_address import parse_address
from brokeforge.web.models import SignInFailures

LIMIT = 5  # failures of one account from one address
ACCOUNT_LIMIT = 20  # failures of one account from all addresses together
ADDRESS_LIMIT = 20  # failures from one address, for all accounts together
WINDOW_SECONDS = 15 * 60
IPV6_CLIENT_PREFIX = 64


@dataclass(frozen=True)
class Counts:
    """The keys of the three counts one sign-in attempt belongs to."""

    account_and_address: str
    account: str
    address: str


def account_name(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def address_block(address: str) -> str:
    """The unit an address counts as: itself for IPv4, its /64 for IPv6 (one customer's block)."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed) if parsed is not None else address


def _key(kind: str, *parts: str) -> str:
    # Hashed: usernames are user input of any length, and the table need not hold addresses.
    return f"{kind}:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def counts_for(username: str, address: str) -> Counts:
    account, block = account_name(username), address_block(address)
    return Counts(
        account_and_address=_key("pair", account, block),
        account=_key("account", account),
        address=_key("address", block),
    )


def refusal(username: str, address: str) -> str | None:
    """Why an attempt for USERNAME from ADDRESS is refused now, or None if it may go ahead."""
    counts = counts_for(username, address)
    full = set(
        SignInFailures.objects.filter(window_ends__gt=timezone.now())
        .filter(
            Q(key=counts.account_and_address, failures__gte=LIMIT)
            | Q(key=counts.account, failures__gte=ACCOUNT_LIMIT)
            | Q(key=counts.address, failures__gte=ADDRESS_LIMIT)
        )
        .values_list("key", flat=True)
    )
    wait = f"Wait {WINDOW_SECONDS // 60} minutes and try again."
    if counts.account_and_address in full:
        return f"Too many failed sign-in attempts for this account from your address. {wait}"
    if counts.account in full:
        return f"Too many failed sign-in attempts for this account. {wait}"
    if counts.address in full:
        return f"Too many failed sign-in attempts from your address. {wait}"
    return None


def is_blocked(username: str, address: str) -> bool:
    return refusal(username, address) is not None


def _count_one(key: str, now: datetime) -> None:
    # An open window: the database adds one, so failures arriving together all count.
    if SignInFailures.objects.filter(key=key, window_ends__gt=now).update(failures=F("failures") + 1):
        return
    try:
        with transaction.atomic():
            SignInFailures.objects.create(
                key=key, failures=1, window_ends=now + timedelta(seconds=WINDOW_SECONDS)
            )
    except IntegrityError:
        # Another process opened this window since the update above: count into theirs.
        SignInFailures.objects.filter(key=key).update(failures=F("failures") + 1)


def record_failure(username: str, address: str) -> None:
    now = timezone.now()
    counts = counts_for(username, address)
    with transaction.atomic():
        # Closed windows of every key go first: the table holds only what is being counted.
        SignInFailures.objects.filter(window_ends__lte=now).delete()
        for key in (counts.account_and_address, counts.account, counts.address):
            _count_one(key, now)


def reset(username: str, address: str) -> None:
    SignInFailures.objects.filter(key=counts_for(username, address).account_and_address).delete()
