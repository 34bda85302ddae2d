"""Who the client is behind our proxies: the right-most X-Forwarded-For address we do not trust,
and only when the request came from a proxy we trust. Pure functions, checked from a table."""

from __future__ import annotations

import pytest

from brokeforge.lib.client_address import client_address, parse_address, parse_networks

LOOPBACK = parse_networks("127.0.0.0/8, ::1")
TWO_PROXIES = parse_networks("127.0.0.1, 10.0.0.0/24")

# (peer, X-Forwarded-For, trusted proxies, the client)
CASES = [
    # No proxy: the peer is the client, whatever header it sends.
    ("203.0.113.5", None, LOOPBACK, "203.0.113.5"),
    ("203.0.113.5", "198.51.100.7", LOOPBACK, "203.0.113.5"),
    ("203.0.113.5", "127.0.0.1", LOOPBACK, "203.0.113.5"),
    # Our proxy on loopback appended the address it saw.
    ("127.0.0.1", "198.51.100.7", LOOPBACK, "198.51.100.7"),
    ("127.0.0.1", " 198.51.100.7 ", LOOPBACK, "198.51.100.7"),
    ("::1", "2001:db8::7", LOOPBACK, "2001:db8::7"),
    # What the client wrote itself is left of what the proxy appended: ignored.
    ("127.0.0.1", "1.2.3.4, 198.51.100.7", LOOPBACK, "198.51.100.7"),
    ("127.0.0.1", "not-an-address, 198.51.100.7", LOOPBACK, "198.51.100.7"),
    ("127.0.0.1", "127.0.0.1, 198.51.100.7", LOOPBACK, "198.51.100.7"),
    # A chain of our own proxies is skipped from the right.
    ("127.0.0.1", "198.51.100.7, 10.0.0.3", TWO_PROXIES, "198.51.100.7"),
    ("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.3", TWO_PROXIES, "198.51.100.7"),
    # Only proxies in the list are skipped: 10.0.0.3 is not ours here.
    ("127.0.0.1", "198.51.100.7, 10.0.0.3", LOOPBACK, "10.0.0.3"),
    # Every hop ours (a client on the proxy's own machine): the left-most is the client.
    ("127.0.0.1", "127.0.0.1", LOOPBACK, "127.0.0.1"),
    ("127.0.0.1", "10.0.0.9, 127.0.0.1", TWO_PROXIES, "10.0.0.9"),
    # Something no proxy of ours writes stops the walk at the last trusted hop.
    ("127.0.0.1", "garbage", LOOPBACK, "127.0.0.1"),
    ("127.0.0.1", "", LOOPBACK, "127.0.0.1"),
    ("127.0.0.1", "198.51.100.7,", LOOPBACK, "127.0.0.1"),
    ("127.0.0.1", "198.51.100.7, unknown, 10.0.0.3", TWO_PROXIES, "10.0.0.3"),
    # Ports and brackets as some proxies write them; one address written several ways is one client.
    ("127.0.0.1", "198.51.100.7:51234", LOOPBACK, "198.51.100.7"),
    ("127.0.0.1", "[2001:db8::7]:51234", LOOPBACK, "2001:db8::7"),
    ("127.0.0.1", "2001:DB8:0:0::7", LOOPBACK, "2001:db8::7"),
    ("127.0.0.1", "::ffff:198.51.100.7", LOOPBACK, "198.51.100.7"),
    ("127.0.0.1", "fe80::1%eth0", LOOPBACK, "fe80::1"),
    ("::ffff:127.0.0.1", "198.51.100.7", LOOPBACK, "198.51.100.7"),
    # A peer that is no address (a Unix socket) is passed through.
    ("", "198.51.100.7", LOOPBACK, ""),
]


@pytest.mark.parametrize(("peer", "forwarded_for", "trusted", "expected"), CASES)
def test_client_address(peer: str, forwarded_for: str | None, trusted: tuple, expected: str) -> None:
    assert client_address(peer, forwarded_for, trusted) == expected


def test_nothing_trusted_means_the_peer_always() -> None:
    assert client_address("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"


@pytest.mark.parametrize("text", ["", "unknown", "198.51.100", "198.51.100.7.1", "[::1", "example.com"])
def test_non_addresses_are_not_addresses(text: str) -> None:
    assert parse_address(text) is None


def test_trusted_proxies_setting_is_read_strictly() -> None:
    assert [str(n) for n in parse_networks(" 127.0.0.1 ,10.0.0.0/8,,::1")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    assert parse_networks("") == ()
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300' is not an IP address or network"):
        parse_networks("127.0.0.1, 10.0.0.300")
    with pytest.raises(ValueError, match=r"'proxy\.internal'"):
        parse_networks("proxy.internal")
