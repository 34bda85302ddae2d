"""The inputs each installer's commands() is tested with; the expected lists are in data/<name>.json."""

from __future__ import annotations

from typing import Any

from brokeforge.lib.enums import PhpVersion
from brokeforge.packages.base import PackageManager, SitePackage, Step
from brokeforge.packages.services.brokeforge_user.installer import BrokeforgeUserInstaller
from brokeforge.packages.services.connection.installer import ConnectionInstaller
from brokeforge.packages.services.firewall.installer import FirewallInstaller, FirewallRuleInstaller
from brokeforge.packages.services.firewall.remover import FirewallRuleRemover
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.packages.services.nginx.installer import NginxInstaller
from brokeforge.packages.services.php.installer import PhpInstaller
from brokeforge.packages.services.provision.installer import ProvisionInstaller
from brokeforge.packages.services.sites.command.installer import SiteCommandInstaller
from brokeforge.packages.services.sites.site.installer import SiteInstaller
from brokeforge.packages.services.sites.site.remover import SiteRemover
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.system.installer import SystemInstaller
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

ROOT_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootRootRootRootRootRootRootRootRootRoot brokeforge-root@web-1"
)
USER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUserUserUserUserUserUserUserUserUserUser brokeforge@web-1"

Case = tuple[type[PackageManager], tuple[Any, ...]]

PHP_SITE = SiteSpec.validated(
    "shop.example.com", "php", ["shop.example.org"], None, "8.2", None, "www-to-apex"
)
LARAVEL_SITE = SiteSpec.validated("example.com", "laravel", (), None, "8.4", None, "apex-to-www")
STATIC_SITE = SiteSpec.validated("docs.example.com", "static", (), "site/dist")
PROXY_SITE = SiteSpec.validated("app.example.com", "proxy", ["api.example.com"], None, None, "3000")

CASES: dict[str, dict[str, Case]] = {
    "connection": {"default": (ConnectionInstaller, ())},
    "system": {"default": (SystemInstaller, ([],)), "with the stack": (SystemInstaller, (["ufw", "nginx"],))},
    "brokeforge_user": {"two keys": (BrokeforgeUserInstaller, (ROOT_KEY, USER_KEY))},
    "firewall": {
        "ssh on 22": (FirewallInstaller, (FirewallRule.validated(22, "SSH"),)),
        "ssh on 2222": (FirewallInstaller, (FirewallRule.validated("2222", "SSH"),)),
    },
    "firewall_rule": {
        "allow http": (FirewallRuleInstaller, (FirewallRule.validated(80, "HTTP"),)),
        "deny udp from a network": (
            FirewallRuleInstaller,
            (FirewallRule.validated(5353, "mDNS on the LAN", "deny", "udp", "10.1.2.3/8"),),
        ),
        "unnamed, from one IPv6 host": (
            FirewallRuleInstaller,
            (FirewallRule.validated("8080", "", "allow", "tcp", "2001:db8::1"),),
        ),
    },
    "firewall_rule_remover": {
        "allow http": (FirewallRuleRemover, (FirewallRule.validated(80, "HTTP"),)),
        "deny udp from a network": (
            FirewallRuleRemover,
            (FirewallRule.validated(5353, "mDNS on the LAN", "deny", "udp", "10.1.2.3/8"),),
        ),
    },
    "php": {"8.2": (PhpInstaller, (PhpVersion.PHP82,)), "8.4": (PhpInstaller, (PhpVersion.PHP84,))},
    "site_command": {
        "artisan with quotes": (SiteCommandInstaller, ("php artisan tinker --execute='echo 1;'", 120)),
        "a pipeline, 10 seconds": (SiteCommandInstaller, ('ls -la | grep "$HOME" > out.txt', 10)),
    },
    "site": {
        "php, an alias, www to apex": (SiteInstaller, (PHP_SITE,)),
        "laravel on 8.4, apex to www": (SiteInstaller, (LARAVEL_SITE,)),
        "static in site/dist": (SiteInstaller, (STATIC_SITE,)),
        "proxy to port 3000": (SiteInstaller, (PROXY_SITE,)),
    },
    "site_remover": {
        "php": (SiteRemover, (PHP_SITE,)),
        "proxy": (SiteRemover, (PROXY_SITE,)),
    },
    "nginx": {
        "8.2 on web-1": (NginxInstaller, (PhpVersion.PHP82, "web-1")),
        "8.2, markup in the server name": (NginxInstaller, (PhpVersion.PHP82, "<script>alert(1)</script>")),
    },
    "provision": {"8.2": (ProvisionInstaller, (PhpVersion.PHP82,))},
}


def build(server: Server, name: str, case: str) -> list[Step]:
    installer_class, arguments = CASES[name][case]
    site = Site(server=server, domain="shop.example.com", system_user="shop")
    # commands() signatures differ per installer; a site package works on a site.
    installer: Any = installer_class(server, site if issubclass(installer_class, SitePackage) else None)
    steps: list[Step] = installer.commands(*arguments)
    return steps


def all_cases() -> list[tuple[str, str]]:
    return [(name, case) for name, cases in CASES.items() for case in cases]
