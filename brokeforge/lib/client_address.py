"""The address of the client behind the reverse proxies we trust, from X-Forwarded-For.

Each proxy appends the address it received the request from to X-Forwarded-For, so everything left
of what our own proxies appended was written by the client and may be anything. The client is
therefore the right-most address in the chain that is not one of our proxies: walk from the right,
skipping trusted proxies, and stop at the first address we do not trust. A request whose peer is not
a trusted proxy has the header ignored: whoever sent it could have written any address there, and
could escape a per-address limit by writing a new one each time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or networks ("127.0.0.0/8, ::1, 10.0.0.5") as networks.

    Raises ValueError naming the entry that is neither, so a typo in a setting fails loudly
    instead of silently trusting nothing (or everything).
    """
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def _without_port(text: str) -> str:
    # Proxies write "203.0.113.7", "203.0.113.7:5678", "2001:db8::1" or "[2001:db8::1]:5678".
    if text.startswith("["):
        inside, bracket, _port = text[1:].partition("]")
        return inside if bracket else text
    if text.count(":") == 1:
        return text.partition(":")[0]
    return text


def parse_address(text: str) -> IPAddress | None:
    """One hop as a proxy writes it, in canonical form; None if it is not an IP address.

    An IPv4 address written as IPv4-mapped IPv6 (::ffff:203.0.113.7) is the IPv4 address, and an
    IPv6 zone (%eth0) is dropped: one client must not count as several for a rate limit.
    """
    try:
        address = ipaddress.ip_address(_without_port(text.strip()).partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: IPAddress, trusted: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The client's address, for a request that came from PEER carrying FORWARDED_FOR.

    PEER is the address of whoever opened the connection to us; it is returned (in canonical form)
    unless it is a trusted proxy. Behind trusted proxies, the chain is read from the right. An entry
    that is not an address stops the walk at the last trusted hop: no proxy of ours wrote it, so the
    request is attributed to the proxy rather than to a value its client chose.
    """
    peer_address = parse_address(peer)
    if peer_address is None:
        return peer
    client = peer_address
    if not forwarded_for or not is_trusted(peer_address, trusted):
        return str(client)
    for hop in reversed(forwarded_for.split(",")):
        hop_address = parse_address(hop)
        if hop_address is None:
            break
        client = hop_address
        if not is_trusted(hop_address, trusted):
            break
    return str(client)
