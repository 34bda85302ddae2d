"""Sites as data: every name, directory, version and port a user gives is cleaned or refused with a
message, and the Linux user comes from the domain."""

from __future__ import annotations

import pytest

from brokeforge.lib import validators
from brokeforge.packages.services.sites.site.spec import SiteSpec, site_user


@pytest.mark.parametrize(
    ("value", "clean"),
    [("Shop.Example.COM", "shop.example.com"), (" a-b.example.io\n", "a-b.example.io"),
     ("1.example.com", "1.example.com"), ("xn--bcher-kva.example", "xn--bcher-kva.example")],
)  # fmt: skip
def test_domains_are_lowercased(value: str, clean: str) -> None:
    assert validators.domain(value) == clean


@pytest.mark.parametrize(
    "value",
    ["localhost", "example.com.", "*.example.com", "-a.example.com", "a-.example.com", "a..example.com",
     "exa mple.com", "example.com;reboot", "ex_ample.com", "10.0.0.1", "bücher.example", "a" * 64 + ".com",
     "example.com\nevil.com", "$(id).example.com", ".example.com", ""],
)  # fmt: skip
def test_bad_domains_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="Domain"):
        validators.domain(value)


@pytest.mark.parametrize(
    ("value", "clean"), [("public", "public"), ("web/dist/", "web/dist"), ("", ""), (".x", None)]
)
def test_web_directories(value: str, clean: str | None) -> None:
    if clean is None:
        with pytest.raises(ValueError, match="Web directory"):
            validators.web_directory(value)
    else:
        assert validators.web_directory(value) == clean


@pytest.mark.parametrize("value", ["/var/www", "../x", "public/../../etc", "a//b", "a b", "a;b", "./public"])
def test_bad_web_directories_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="Web directory"):
        validators.web_directory(value)


@pytest.mark.parametrize(
    ("domain", "user"),
    [
        ("shop.example.com", "shop_example_com"),
        ("my-shop.io", "my-shop_io"),
        ("1.example.com", "s_1_example_com"),
    ],
)
def test_the_user_comes_from_the_domain(domain: str, user: str) -> None:
    assert site_user(domain) == user


def test_a_long_domain_keeps_a_hash_so_two_never_share_a_user() -> None:
    first, second = site_user("a" * 30 + ".example.com"), site_user("a" * 30 + ".example.org")
    assert len(first) == 32 and first != second and first.startswith("a" * 23 + "_")


def test_defaults_per_type() -> None:
    laravel = SiteSpec.validated("a.test", "laravel", php_version="8.2")
    assert laravel.root == "/home/a_test/a.test/current/public"
    assert SiteSpec.validated("a.test", "static", web_directory="").root == "/home/a_test/a.test/current"
    proxy = SiteSpec.validated("a.test", "proxy", proxy_port="3000")
    assert (proxy.proxy_port, proxy.web_directory, proxy.php_version) == (3000, "", None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"site_type": "wordpress"}, "Site type must be one of"),
        ({"site_type": "php"}, "needs a PHP version"),
        ({"site_type": "php", "php_version": "7.4"}, "Unsupported PHP version"),
        ({"site_type": "static", "php_version": "8.2"}, "does not run PHP"),
        ({"site_type": "proxy"}, "needs the local port"),
        ({"site_type": "proxy", "proxy_port": "+80"}, "Proxy port must be a number"),
        ({"site_type": "proxy", "proxy_port": "70000"}, "between 1 and 65535"),
        ({"site_type": "static", "proxy_port": "80"}, "Only a proxy site"),
        ({"site_type": "proxy", "proxy_port": "80", "web_directory": "public"}, "no web directory"),
        ({"site_type": "static", "aliases": ["ok.test", "bad_alias.test"]}, "Alias"),
        ({"site_type": "static", "aliases": ["shop.test"]}, "must be different"),
        ({"site_type": "static", "aliases": ["b.test", "B.test"]}, "must be different"),
        ({"site_type": "static", "redirect": "sideways"}, "Redirect must be one of"),
        (
            {"site_type": "static", "aliases": ["www.shop.test"], "redirect": "www-to-apex"},
            "must be different",
        ),
    ],
)
def test_bad_sites_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SiteSpec.validated("shop.test", **arguments)  # type: ignore[arg-type]


def test_a_www_redirect_needs_a_bare_domain() -> None:
    with pytest.raises(ValueError, match="bare domain"):
        SiteSpec.validated("www.com", "static", redirect="www-to-apex")


def test_redirects_pick_the_canonical_name() -> None:
    assert SiteSpec.validated("www.shop.test", "static", redirect="www-to-apex").redirect_names() == (
        "shop.test",
        "www.shop.test",
    )
    apex_to_www = SiteSpec.validated("shop.test", "static", aliases=["shop.example"], redirect="apex-to-www")
    assert apex_to_www.canonical == "www.shop.test"
    assert apex_to_www.names() == {"shop.test", "www.shop.test", "shop.example"}
