"""A site's HTTPS settings (SiteSpec) and the vhost they make: force-HTTPS and HSTS need a
certificate; the ACME challenge path stays reachable over plain HTTP under every name, whatever
redirects; the 443 server serves the certificate's files; a site without one is plain HTTP."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from brokeforge.lib.templates import render
from brokeforge.packages.services.sites.deploy.settings import HealthCheck
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.packages.services.sites.site.spec import ACME_CHALLENGE_ROOT, SiteSpec, Tls

TLS = Tls("/etc/letsencrypt/live/a-1/fullchain.pem", "/etc/letsencrypt/live/a-1/privkey.pem", ("shop.test",))
ALL_NAMES = Tls(TLS.certificate, TLS.key, ("shop.test", "www.shop.test", "api.shop.test"))


def _site(tls: Tls | None = None, **settings: object) -> SiteSpec:
    spec = SiteSpec.validated("shop.test", "static", ["api.shop.test"], redirect="apex-to-www")
    return spec.with_tls(tls).updated(settings)


def _servers(spec: SiteSpec) -> list[str]:
    """The vhost's server blocks, each as its text."""
    text = render("sites/nginx/static.conf.j2", spec=spec)
    return re.findall(r"^server \{\n.*?^\}", text, re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("setting", [{"force_https": True}, {"hsts_max_age": 300}])
def test_https_settings_need_a_certificate(setting: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"needs a certificate on shop\.test: issue or upload one first"):
        _site(**setting)


@pytest.mark.parametrize("value", [-1, 63072001, "a year", "1.5"])
def test_hsts_max_age_is_whole_seconds_up_to_two_years(value: object) -> None:
    with pytest.raises(ValueError, match="HSTS max-age"):
        _site(tls=TLS, hsts_max_age=value)


def test_force_https_takes_on_and_off() -> None:
    assert _site(tls=TLS, force_https="on").force_https is True
    assert _site(tls=TLS, force_https="off").force_https is False
    with pytest.raises(ValueError, match="Force HTTPS must be on or off"):
        _site(tls=TLS, force_https="yes")


def test_without_its_certificate_a_site_is_plain_http_again() -> None:
    spec = _site(tls=TLS, force_https=True, hsts_max_age=300).with_tls(None)
    assert (spec.tls, spec.force_https, spec.hsts_max_age) == (None, False, 0)
    assert not any("443" in server for server in _servers(spec))


def test_every_port_80_server_answers_acme_challenges_before_any_redirect() -> None:
    for spec in (_site(), _site(tls=TLS), _site(tls=ALL_NAMES, force_https=True)):
        plain = [server for server in _servers(spec) if "listen 80;" in server]
        assert len(plain) == 2  # the redirect name's server, the site's own
        for server in plain:
            challenge = server.index("location ^~ /.well-known/acme-challenge/")
            assert f"root {ACME_CHALLENGE_ROOT};" in server[challenge:]
            # No redirect at server level: Nginx would send it before choosing a location.
            assert not re.search(r"^    return ", server, re.MULTILINE)


def test_force_https_redirects_plain_http_to_the_same_name_and_path() -> None:
    servers = _servers(_site(tls=ALL_NAMES, force_https=True))
    site_plain = next(
        s for s in servers if "listen 80;" in s and "server_name www.shop.test api.shop.test;" in s
    )
    assert "return 301 https://$host$request_uri;" in site_plain
    redirect_plain = next(s for s in servers if "listen 80;" in s and "server_name shop.test;" in s)
    assert "return 301 https://www.shop.test$request_uri;" in redirect_plain


def test_the_443_server_serves_the_certificate_files_with_hsts_when_asked() -> None:
    (site,) = [s for s in _servers(_site(tls=TLS, hsts_max_age=600)) if "root /home/" in s]
    assert "listen 443 ssl;" in site and "listen 80;" in site  # no force-HTTPS: both
    assert f"ssl_certificate {TLS.certificate};" in site and f"ssl_certificate_key {TLS.key};" in site
    assert 'add_header Strict-Transport-Security "max-age=600" always;' in site


def test_the_redirect_name_gets_a_443_server_only_if_the_certificate_covers_it() -> None:
    def redirect_servers(tls: Tls) -> list[str]:
        return [s for s in _servers(_site(tls=tls)) if "server_name shop.test;" in s]

    assert len(redirect_servers(TLS)) == 2
    assert len(redirect_servers(Tls(TLS.certificate, TLS.key, ("www.shop.test",)))) == 1


def test_a_deployments_health_check_asks_over_https_once_plain_http_only_redirects() -> None:
    site = DeploySite(
        domain="shop.test", user="shop_test", path="/home/shop_test/shop.test", host="shop.test", https=True,
        tmp_dir="/home/shop_test/.tmp", repository="git@github.com:o/r.git", branch="main", php_version="",
        git_environment={},
    )  # fmt: skip
    script = render("sites/deploy/functions.sh.j2", site=site, health=HealthCheck("/up", 200, 10))
    assert "--resolve shop.test:443:127.0.0.1 https://shop.test/up" in script
    assert "http://127.0.0.1" not in script
    plain = render("sites/deploy/functions.sh.j2", site=replace(site, https=False), health=HealthCheck())
    assert "-H 'Host: shop.test' http://127.0.0.1/" in plain


def test_hsts_is_sent_by_every_https_server_of_the_site() -> None:
    https_servers = [s for s in _servers(_site(tls=ALL_NAMES, hsts_max_age=600)) if "listen 443 ssl;" in s]
    assert len(https_servers) == 2  # the redirect name's, the site's own
    assert all('add_header Strict-Transport-Security "max-age=600" always;' in s for s in https_servers)
