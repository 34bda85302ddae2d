"""Rate limit of failed sign-ins, per username and client address, kept in the Django cache.

A fixed window: the first failure starts it, and after LIMIT failures inside it further attempts are
refused until it expires, even with the right password, so guessing cannot go on in the background.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

LIMIT = 5
WINDOW_SECONDS = 15 * 60


def _key(username: str, address: str) -> str:
    # Hashed: usernames are user input and cache backends restrict key characters and length.
    digest = hashlib.sha256(f"{username.casefold()}\0{address}".encode()).hexdigest()
    return f"brokeforge:login-failures:{digest}"


def is_blocked(username: str, address: str) -> bool:
    return int(cache.get(_key(username, address), 0)) >= LIMIT


def record_failure(username: str, address: str) -> None:
    key = _key(username, address)
    # add() starts the window only if none is running; incr() keeps the window's original expiry.
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=WINDOW_SECONDS)


def reset(username: str, address: str) -> None:
    cache.delete(_key(username, address))
