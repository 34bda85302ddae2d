"""A site as data: what it is (type, names, directories, PHP, port), validated, and every path and
name on the server derived from it. Actions validate a new site here; the installer and the
remover rebuild it from the Site row and validate it again, since its values reach a shell."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from brokeforge.lib import validators
from brokeforge.lib.certificates import names_cover
from brokeforge.lib.enums import PhpVersion, SiteRedirect, SiteType
from brokeforge.packages.base.command import linux_user
from brokeforge.sites.models import Certificate, Site

MAX_ALIASES = 20
# Linux user names are at most 32 characters (see linux_user).
_USER_MAX = 32
_USER_HASH = 8

VHOST_DIR = "/etc/nginx/sites-enabled"
INCLUDE_ROOT = "/etc/nginx/brokeforge-sites"
# Read by Nginx before sites-enabled (Debian's nginx.conf), so it is the first server on port 80:
# the one that answers unknown names unless another server says `default_server`.
CATCH_ALL = "/etc/nginx/conf.d/brokeforge-catch-all.conf"
WEB_SERVER_GROUP = "www-data"
# The release `current` points to before the first deployment.
INITIAL_RELEASE = "initial"
# What a site's settings update may change; its domain and type make its user, paths and
# templates, so they stay (a site that needs another is a new site).
UPDATABLE = (
    "aliases",
    "web_directory",
    "php_version",
    "proxy_port",
    "redirect",
    "force_https",
    "hsts_max_age",
)
# Where every site's vhost answers ACME HTTP-01 challenges from (certbot --webroot writes there).
ACME_CHALLENGE_ROOT = "/var/lib/brokeforge/acme-challenge"
# Two years: what browsers' HSTS preload lists ask for, and a sane ceiling for a typo.
HSTS_MAX_AGE_LIMIT = 2 * 365 * 24 * 3600

Choice = TypeVar("Choice", SiteType, SiteRedirect)


def site_user(domain: str) -> str:
    """The site's Linux user, from its domain: shop.example.com -> shop_example_com.

    Dots become underscores (a host name has none, so two domains never share a name); a name
    that would start with a digit gets an `s_` prefix; a name too long keeps its first characters
    and a hash of the whole domain."""
    name = domain.replace(".", "_")
    if not name[0].isalpha():
        name = f"s_{name}"
    if len(name) > _USER_MAX:
        digest = hashlib.sha256(domain.encode()).hexdigest()[:_USER_HASH]
        name = f"{name[: _USER_MAX - _USER_HASH - 1]}_{digest}"
    return linux_user(name)


def claimed_names(domain: str, aliases: Iterable[str], redirect: str) -> set[str]:
    """The host names a site answers to: its domain, its aliases, and with a www/apex redirect
    both the bare domain and its www. name."""
    names = {domain, *aliases}
    if redirect != SiteRedirect.NONE:
        apex = domain.removeprefix("www.")
        names |= {apex, f"www.{apex}"}
    return names


def check_names_free(spec: SiteSpec, others: Iterable[Site], where: str) -> None:
    """ValueError unless every name and the Linux user of `spec` are free among `others` (the
    other sites of its server, `where`)."""
    for other in others:
        taken = spec.names() & claimed_names(other.domain, other.aliases, other.redirect)
        if taken:
            raise ValueError(f"{', '.join(sorted(taken))} is already a name of {other.domain} on {where}.")
        if other.system_user == spec.user:
            raise ValueError(f"The Linux user {spec.user} already belongs to {other.domain} on {where}.")


@dataclass(frozen=True)
class Tls:
    """The certificate a site's vhost serves on port 443: its files on the server and its names."""

    certificate: str
    key: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, certificate: Certificate) -> Tls:
        # Names as read from the certificate on the server; those asked for until it was read.
        names = certificate.names or certificate.domains
        return cls(certificate.fullchain_path, certificate.key_path, tuple(names))

    def covers(self, name: str) -> bool:
        return names_cover(self.names, name)


@dataclass(frozen=True)
class SiteSpec:
    domain: str
    user: str
    site_type: SiteType
    aliases: tuple[str, ...] = ()
    web_directory: str = "public"
    php_version: PhpVersion | None = None
    proxy_port: int | None = None
    redirect: SiteRedirect = SiteRedirect.NONE
    tls: Tls | None = None
    force_https: bool = False
    hsts_max_age: int = 0

    @classmethod
    def validated(
        cls,
        domain: str,
        site_type: str = SiteType.PHP,
        aliases: Iterable[str] = (),
        web_directory: str | None = None,
        php_version: str | None = None,
        proxy_port: int | str | None = None,
        redirect: str = SiteRedirect.NONE,
        force_https: bool | str = False,
        hsts_max_age: int | str = 0,
        tls: Tls | None = None,
    ) -> SiteSpec:
        """A site from what a user typed, or ValueError saying what is wrong."""
        kind = _choice(SiteType, site_type, "Site type")
        name = validators.domain(domain)
        spec = cls(
            domain=name,
            user=site_user(name),
            site_type=kind,
            aliases=_aliases(aliases),
            web_directory=_web_directory(kind, web_directory),
            php_version=_php_version(kind, php_version),
            proxy_port=_proxy_port(kind, proxy_port),
            redirect=_choice(SiteRedirect, redirect, "Redirect"),
            tls=tls,
            force_https=_switch(force_https, "Force HTTPS"),
            hsts_max_age=_hsts_max_age(hsts_max_age),
        )
        spec._check_names()
        spec._check_https()
        return spec

    @classmethod
    def of(cls, site: Site) -> SiteSpec:
        """The spec a Site row describes, validated again."""
        spec = cls.validated(
            site.domain,
            site.site_type,
            site.aliases,
            site.web_directory,
            site.php_version or None,
            site.proxy_port,
            site.redirect,
            site.force_https,
            site.hsts_max_age,
            tls=_tls(site),
        )
        if spec.user != site.system_user:
            raise ValueError(f"Site {site.domain} records user {site.system_user!r}, not {spec.user!r}.")
        return spec

    def settings(self) -> dict[str, Any]:
        """What a settings update may change, as validated() takes it."""
        return {
            "aliases": list(self.aliases),
            "web_directory": self.web_directory if self.serves_files else None,
            "php_version": self.php_version.value if self.php_version else None,
            "proxy_port": self.proxy_port,
            "redirect": self.redirect.value,
            "force_https": self.force_https,
            "hsts_max_age": self.hsts_max_age,
        }

    def updated(self, changes: Mapping[str, Any]) -> SiteSpec:
        """This site with some settings changed, validated; ValueError for a domain or type change."""
        fixed = sorted(set(changes) & {"domain", "site_type"})
        if fixed:
            raise ValueError(
                f"A site's {' and '.join(fixed).replace('site_type', 'type')} cannot change: its domain "
                "and type make its Linux user, directories and configuration. Add a new site instead."
            )
        unknown = sorted(set(changes) - set(UPDATABLE))
        if unknown:
            raise ValueError(f"Unknown site settings: {', '.join(unknown)}.")
        return SiteSpec.validated(self.domain, self.site_type, **{**self.settings(), **changes}, tls=self.tls)

    def changes(self, wanted: SiteSpec) -> dict[str, Any]:
        """The settings `wanted` gives other values than this site has."""
        mine = self.settings()
        return {key: value for key, value in wanted.settings().items() if mine[key] != value}

    def _check_https(self) -> None:
        if self.tls is None and (self.force_https or self.hsts_max_age):
            wanted = "Force HTTPS" if self.force_https else "HSTS"
            raise ValueError(f"{wanted} needs a certificate on {self.domain}: issue or upload one first.")

    def _check_names(self) -> None:
        names = [*self.redirect_names(), *self.aliases]
        if len(set(names)) != len(names) or self.domain in self.aliases:
            raise ValueError(f"{self.domain}: every name (domain, aliases, redirect) must be different.")

    # -- names ---------------------------------------------------------------------------------

    def redirect_names(self) -> tuple[str, str | None]:
        """(the canonical name, the name that redirects to it, if any)."""
        if self.redirect == SiteRedirect.NONE:
            return self.domain, None
        apex = self.domain.removeprefix("www.")
        validators.domain(apex, "The bare domain of a www/apex redirect")
        www = f"www.{apex}"
        return (apex, www) if self.redirect == SiteRedirect.WWW_TO_APEX else (www, apex)

    @property
    def canonical(self) -> str:
        return self.redirect_names()[0]

    @property
    def redirect_from(self) -> str | None:
        return self.redirect_names()[1]

    def names(self) -> set[str]:
        """Every host name the site claims on its server."""
        return claimed_names(self.domain, self.aliases, self.redirect)

    def served_names(self) -> list[str]:
        """The names its main server block answers: the canonical name first, then the aliases."""
        return [self.canonical, *self.aliases]

    def certificate_names(self) -> list[str]:
        """What a certificate for the site covers by default: every name it answers, the
        canonical first (the certificate's subject)."""
        return list(dict.fromkeys([*self.served_names(), *filter(None, [self.redirect_from])]))

    def with_tls(self, tls: Tls | None) -> SiteSpec:
        """This site serving another certificate; without one, plain HTTP only."""
        if tls is None:
            return replace(self, tls=None, force_https=False, hsts_max_age=0)
        return replace(self, tls=tls)

    @property
    def acme_challenge_root(self) -> str:
        return ACME_CHALLENGE_ROOT

    # -- paths ---------------------------------------------------------------------------------

    @property
    def home(self) -> str:
        return f"/home/{self.user}"

    @property
    def path(self) -> str:
        return f"{self.home}/{self.domain}"

    @property
    def serves_files(self) -> bool:
        """Nginx serves its web directory; a proxy site passes every request on instead."""
        return self.site_type != SiteType.PROXY

    # A site's directory holds `releases/<name>` (one per deployment), `shared/` (what every
    # release links to: .env, storage) and `current`, the symlink to the live release. Before the
    # first deployment `current` points to `releases/initial`, which holds the placeholder page.

    @property
    def current(self) -> str:
        return f"{self.path}/current"

    @property
    def releases_dir(self) -> str:
        return f"{self.path}/releases"

    @property
    def initial_release(self) -> str:
        return f"{self.releases_dir}/{INITIAL_RELEASE}"

    @property
    def shared_dir(self) -> str:
        return f"{self.path}/shared"

    @property
    def env_file(self) -> str:
        """The application's environment (.env), linked into every release by deployments."""
        return f"{self.shared_dir}/.env"

    @property
    def root(self) -> str:
        """What Nginx serves: the web directory inside the live release."""
        return f"{self.current}/{self.web_directory}" if self.web_directory else self.current

    @property
    def tmp_dir(self) -> str:
        """The site's own temporary directory: PHP's uploads and sessions, inside open_basedir."""
        return f"{self.home}/.tmp"

    @property
    def log_dir(self) -> str:
        return f"{self.home}/.logs"

    @property
    def vhost(self) -> str:
        return f"{VHOST_DIR}/{self.domain}.conf"

    @property
    def include_dir(self) -> str:
        """The user's own Nginx additions: never written by the panel, kept when the vhost is."""
        return f"{INCLUDE_ROOT}/{self.domain}"

    def nginx_log(self, kind: str) -> str:
        return f"/var/log/nginx/{self.domain}-{kind}.log"

    @property
    def pool(self) -> str:
        assert self.php_version is not None
        return f"/etc/php/{self.php_version.value}/fpm/pool.d/{self.user}.conf"

    @property
    def socket(self) -> str:
        assert self.php_version is not None
        return f"/run/php/php{self.php_version.value}-fpm-{self.user}.sock"

    # -- records -------------------------------------------------------------------------------

    def model_fields(self) -> dict[str, Any]:
        """The Site row's fields."""
        return {
            "domain": self.domain,
            "system_user": self.user,
            "site_type": self.site_type.value,
            "aliases": list(self.aliases),
            "web_directory": self.web_directory,
            "php_version": self.php_version.value if self.php_version else "",
            "proxy_port": self.proxy_port,
            "redirect": self.redirect.value,
            "force_https": self.force_https,
            "hsts_max_age": self.hsts_max_age,
        }

    def configuration(self) -> dict[str, Any]:
        """What the inventory row records: the fields and where things are on the server."""
        where = {"path": self.path, "root": self.root, "vhost": self.vhost, "include_dir": self.include_dir}
        if self.php_version is not None:
            where |= {"pool": self.pool, "socket": self.socket}
        if self.tls is not None:
            where |= {"certificate": self.tls.certificate}
        return {**self.model_fields(), **where}


def _choice(choices: type[Choice], value: str, what: str) -> Choice:
    try:
        return choices(value)
    except ValueError:
        raise ValueError(f"{what} must be one of {', '.join(choices.values)}, got {value!r}.") from None


def _tls(site: Site) -> Tls | None:
    certificate = site.active_certificate() if site.pk is not None else None
    return Tls.of(certificate) if certificate is not None else None


def _switch(value: bool | str, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("on", "off"):
        return value == "on"
    raise ValueError(f"{what} must be on or off, got {value!r}.")


def _hsts_max_age(value: int | str) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"HSTS max-age must be a number of seconds, got {value!r}.") from None
    if not 0 <= seconds <= HSTS_MAX_AGE_LIMIT:
        raise ValueError(
            f"HSTS max-age must be between 0 (off) and {HSTS_MAX_AGE_LIMIT} seconds (two years)."
        )
    return seconds


def _aliases(values: Iterable[str]) -> tuple[str, ...]:
    aliases = tuple(validators.domain(value, "Alias") for value in values if value.strip())
    if len(aliases) > MAX_ALIASES:
        raise ValueError(f"At most {MAX_ALIASES} aliases, got {len(aliases)}.")
    return aliases


def _web_directory(kind: SiteType, value: str | None) -> str:
    if kind == SiteType.PROXY:
        if value:
            raise ValueError("A proxy site passes every request on: it has no web directory.")
        return ""
    return validators.web_directory("public" if value is None else value)


def _php_version(kind: SiteType, value: str | None) -> PhpVersion | None:
    if not kind.runs_php:
        if value:
            raise ValueError(f"A {kind.value} site does not run PHP: give no PHP version.")
        return None
    if not value:
        raise ValueError(f"A {kind.label} site needs a PHP version.")
    return PhpVersion.parse(value)


def _proxy_port(kind: SiteType, value: int | str | None) -> int | None:
    if kind != SiteType.PROXY:
        if value not in (None, ""):
            raise ValueError("Only a proxy site has a proxy port.")
        return None
    if value in (None, ""):
        raise ValueError("A proxy site needs the local port to pass requests to.")
    assert value is not None
    return validators.port(value, "Proxy port")
