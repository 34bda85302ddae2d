"""Validation of every value a user gives us, before anything runs.

Each validator returns the cleaned value or raises ValueError with a message fit to show a user.
Forms, the API and the CLI all call these, so the rules are the same everywhere.
"""

from __future__ import annotations

import ipaddress
import re

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$")


def server_name(value: str) -> str:
    value = value.strip()
    if not NAME_RE.match(value):
        raise ValueError(
            "Name must be 1-63 characters: letters, digits, spaces, dots, dashes or underscores, "
            "starting with a letter or digit."
        )
    return value


def public_ip(value: str) -> str:
    value = value.strip()
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid IPv4 or IPv6 address.") from None
    # ::ffff:127.0.0.1 is 127.0.0.1 (the model stores it unpacked): judge the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast or address.is_loopback:
        raise ValueError(f"{value} cannot be a server address (unspecified, multicast or loopback).")
    return str(address)


def port(value: int | str, what: str = "Port") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}.") from None
    if not 1 <= number <= 65535:
        raise ValueError(f"{what} must be between 1 and 65535, got {number}.")
    return number


def ssh_port(value: int | str) -> int:
    return port(value, "SSH port")
