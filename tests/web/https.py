"""Helpers of the tests of a panel behind a TLS proxy: its settings, and requests as the proxy sends them."""

from __future__ import annotations

from typing import Any

from brokeforge.lib.public_url import PublicUrl, parse_public_url, security_settings

PUBLIC_HOST = "panel.example.test"
PUBLIC_URL = f"https://{PUBLIC_HOST}"
PROXY = "127.0.0.1"  # in the default BROKEFORGE_TRUSTED_PROXIES


def apply_public_url(settings: Any, value: str = PUBLIC_URL) -> PublicUrl:
    """Give pytest-django's SETTINGS what `BROKEFORGE_PUBLIC_URL=VALUE` gives production."""
    url = parse_public_url(value)
    assert url is not None
    derived = security_settings(url, list(settings.ALLOWED_HOSTS), settings.HSTS_SECONDS)
    for name, setting in derived.items():
        setattr(settings, name, setting)
    settings.PUBLIC_URL = url
    return url


def via_proxy(client_address: str = "198.51.100.7", host: str = PUBLIC_HOST) -> dict[str, str]:
    """Request META as nginx (README) sends it for a browser at CLIENT_ADDRESS over https."""
    return {
        "REMOTE_ADDR": PROXY,
        "HTTP_HOST": host,
        "HTTP_X_FORWARDED_FOR": client_address,
        "HTTP_X_FORWARDED_PROTO": "https",
    }
