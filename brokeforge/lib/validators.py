"""Validation of every value a user gives us, before anything runs.

Each validator returns the cleaned value or raises ValueError with a message fit to show a user.
Forms, the API and the CLI all call these, so the rules are the same everywhere.
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$")


def server_name(value: str) -> str:
    value = value.strip()
    if not NAME_RE.match(value):
        raise ValueError(
            "Name must be 1-63 characters: letters, digits, spaces, dots, dashes or underscores, "
            "starting with a letter or digit."
        )
    return value


PORT_RE = re.compile(r"^[0-9]{1,5}$")


def public_ip(value: str) -> str:
    """The canonical form of a server's address (what is stored and connected to), or ValueError.

    Private ranges are allowed (VPCs, home labs). The panel host's own loopback, link-local and
    cloud metadata addresses (169.254.0.0/16, fe80::/10) are refused unless
    BROKEFORGE_ALLOW_LOCAL_ADDRESSES is set: a panel that connects where a user says must not be
    pointed at itself or at its cloud's metadata service.
    """
    value = value.strip()
    if "%" in value:
        raise ValueError(f"{value!r}: IPv6 zone IDs (%interface) are not accepted; give a routable address.")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid IPv4 or IPv6 address.") from None
    # ::ffff:127.0.0.1 is 127.0.0.1 (the model stores it unpacked): judge the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        raise ValueError(f"{value} cannot be a server address (unspecified or multicast).")
    if (address.is_loopback or address.is_link_local) and not settings.ALLOW_LOCAL_ADDRESSES:
        raise ValueError(
            f"{value} cannot be a server address (loopback, link-local or cloud metadata); "
            "set BROKEFORGE_ALLOW_LOCAL_ADDRESSES=1 to allow it."
        )
    return str(address)


def port(value: int | str, what: str = "Port") -> int:
    """A port as plain decimal digits: not "+22", "0x16", "2_2" or other digits int() would take."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be a number, got {value!r}.")
    if isinstance(value, str) and not PORT_RE.fullmatch(value.strip()):
        raise ValueError(f"{what} must be a number, got {value!r}.")
    number = int(value)
    if not 1 <= number <= 65535:
        raise ValueError(f"{what} must be between 1 and 65535, got {number}.")
    return number


def ssh_port(value: int | str) -> int:
    return port(value, "SSH port")


# One DNS label: letters (lowercased first), digits and inner dashes, 1-63 characters.
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def domain(value: str, what: str = "Domain") -> str:
    """A site's host name, lowercased: at least two labels, no trailing dot, no wildcard, no IP.

    Every name ends up in an Nginx `server_name`, a file name and a shell line; this strict form
    is what makes that safe, so nothing outside it is let through."""
    name = value.strip().lower()
    if name.endswith("."):
        raise ValueError(f"{what} {value!r}: give it without the trailing dot.")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise ValueError(
            f"{what} {value!r} is not a host name: labels of letters, digits and inner dashes "
            "(1-63 characters each) separated by dots, like example.com."
        )
    if labels[-1].isdigit():
        raise ValueError(f"{what} {value!r} is an IP address, not a host name.")
    return name


_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")


def web_directory(value: str) -> str:
    """A directory inside the site, relative, as `public` or `web/dist`; "" is the site itself."""
    path = value.strip().removesuffix("/")
    if path.startswith("/"):
        raise ValueError(f"Web directory {value!r} must be relative to the site's directory, like public.")
    # A first character other than a dot: no `.`, no `..`, no hidden directory.
    if path and (len(path) > 100 or not all(_SEGMENT_RE.fullmatch(s) for s in path.split("/"))):
        raise ValueError(
            f"Web directory {value!r}: directory names of letters, digits, dots, dashes and "
            "underscores separated by /, none starting with a dot (at most 100 characters)."
        )
    return path
