"""The panel's public URL (BROKEFORGE_PUBLIC_URL) and the Django settings that follow from it.

Kept apart from settings.py so the tests apply exactly the settings production derives, and so a
malformed URL is refused with a message instead of half-configuring the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# What a TLS proxy in front sets to tell us the browser's connection was https.
FORWARDED_PROTO_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


@dataclass(frozen=True)
class PublicUrl:
    scheme: str
    host: str  # lower case; an IPv6 address without brackets
    port: int | None  # None for the scheme's default port

    @property
    def https(self) -> bool:
        return self.scheme == "https"

    @property
    def netloc(self) -> str:
        """Host and port as they appear in a URL and in the Host header."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host

    @property
    def origin(self) -> str:
        """What browsers send as Origin for pages at this URL (no default port)."""
        return f"{self.scheme}://{self.netloc}"

    @property
    def allowed_host(self) -> str:
        # Django compares ALLOWED_HOSTS with the Host header without its port; IPv6 keeps brackets.
        return f"[{self.host}]" if ":" in self.host else self.host


def parse_public_url(value: str | None) -> PublicUrl | None:
    """None for an unset or empty value; raises ValueError saying what is wrong with a bad one."""
    if not value or not value.strip():
        return None
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError as exc:
        raise ValueError(f"BROKEFORGE_PUBLIC_URL {value!r}: {exc}") from None
    problem = _problem(parts)
    if problem or not parts.hostname:
        raise ValueError(f"BROKEFORGE_PUBLIC_URL {value!r}: {problem or 'has no host name'}")
    return PublicUrl(
        scheme=parts.scheme,
        host=parts.hostname,
        port=None if port == DEFAULT_PORTS[parts.scheme] else port,
    )


def _problem(parts: SplitResult) -> str | None:
    if parts.scheme not in DEFAULT_PORTS:
        return "must start with https:// (or http:// for a panel used only on this machine)"
    if parts.port == 0:
        return "port 0 is not a port browsers can reach"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        # The panel's URLs start at /; serving it under a path would need every link rewritten.
        return "must be just scheme, host and port, without a path"
    return None


def security_settings(url: PublicUrl | None, allowed_hosts: list[str], hsts_seconds: int) -> dict[str, Any]:
    """The Django settings for a panel reached at URL (None: only on this machine, over HTTP).

    Over https, cookies are only sent over https, browsers are told to use nothing else for
    HSTS_SECONDS, requests that reached us over plain HTTP are redirected to the public URL, and the
    proxy's X-Forwarded-Proto says whether a request was https (the proxy middleware drops that
    header from anyone but a trusted proxy).
    """
    https = url is not None and url.https
    hosts = list(allowed_hosts)
    if url is not None and url.allowed_host not in hosts:
        hosts.append(url.allowed_host)
    return {
        "ALLOWED_HOSTS": hosts,
        "CSRF_TRUSTED_ORIGINS": [url.origin] if url is not None else [],
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "SECURE_HSTS_SECONDS": hsts_seconds if https else 0,
        "SECURE_PROXY_SSL_HEADER": FORWARDED_PROTO_HEADER if https else None,
        "SECURE_SSL_REDIRECT": https,
        "SECURE_SSL_HOST": url.netloc if url is not None and https else None,
    }
