"""A site as data: what it is (type, names, directories, PHP, port), validated, and every path and
name on the server derived from it. Actions validate a new site here; the installer and the
remover rebuild it from the Site row and validate it again, since its values reach a shell."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from brokeforge.lib import validators
from brokeforge.lib.enums import PhpVersion, SiteRedirect, SiteType
from brokeforge.packages.base.command import linux_user
from brokeforge.sites.models import Site

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
UPDATABLE = ("aliases", "web_directory", "php_version", "proxy_port", "redirect")

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
class SiteSpec:
    domain: str
    user: str
    site_type: SiteType
    aliases: tuple[str, ...] = ()
    web_directory: str = "public"
    php_version: PhpVersion | None = None
    proxy_port: int | None = None
    redirect: SiteRedirect = SiteRedirect.NONE

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
        )
        spec._check_names()
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
        return SiteSpec.validated(self.domain, self.site_type, **{**self.settings(), **changes})

    def changes(self, wanted: SiteSpec) -> dict[str, Any]:
        """The settings `wanted` gives other values than this site has."""
        mine = self.settings()
        return {key: value for key, value in wanted.settings().items() if mine[key] != value}

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
        }

    def configuration(self) -> dict[str, Any]:
        """What the inventory row records: the fields and where things are on the server."""
        where = {"path": self.path, "root": self.root, "vhost": self.vhost, "include_dir": self.include_dir}
        if self.php_version is not None:
            where |= {"pool": self.pool, "socket": self.socket}
        return {**self.model_fields(), **where}


def _choice(choices: type[Choice], value: str, what: str) -> Choice:
    try:
        return choices(value)
    except ValueError:
        raise ValueError(f"{what} must be one of {', '.join(choices.values)}, got {value!r}.") from None


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
