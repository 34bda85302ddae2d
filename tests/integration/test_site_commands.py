"""The sudo rules site commands rely on, on a real server: the brokeforge user becomes a site's
user, never root nor a user outside the sites group. (Site commands themselves, as the site user
in the live release with their results and timeouts, are tested end to end in
tests/e2e/test_site_settings.py.)"""

from __future__ import annotations

import pytest

from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(connected_server: Server, debian_server: BootedServer) -> Site:
    # Sites are created by the sites feature; here the user and directory are made by hand.
    debian_server.run(
        "useradd --create-home --shell /bin/bash --groups brokeforge-sites shop"
        " && install -d -o shop -g shop /home/shop/shop.test"
    )
    return Site.objects.create(server=connected_server, domain="shop.test", system_user="shop")


def test_the_brokeforge_user_becomes_site_users_but_never_root(
    site: Site, debian_server: BootedServer
) -> None:
    as_brokeforge = "sudo -u brokeforge -H sh -c"
    assert debian_server.run(f"{as_brokeforge} 'sudo -n -u shop id -un'").stdout == "shop\n"
    for escalation in [
        "sudo -n true",
        "sudo -n -u root id",
        "sudo -n -u brokeforge id",
        "sudo -n systemctl stop ssh",
    ]:
        refused = debian_server.run(f"{as_brokeforge} {escalation!r}", check=False)
        assert refused.returncode != 0, escalation
    # A user outside the sites group is not reachable either.
    debian_server.run("useradd --create-home other")
    assert debian_server.run(f"{as_brokeforge} 'sudo -n -u other id'", check=False).returncode != 0
    # What it may do as root: check and reload the web services (nginx is not installed here, so
    # the command itself fails, but sudo lets it run: not "a password is required").
    allowed = debian_server.run(f"{as_brokeforge} 'sudo -n /usr/sbin/nginx -t'", check=False)
    assert "password is required" not in allowed.stderr and "not allowed" not in allowed.stderr
