"""Adding a site from the server page, its page with the job live, deleting it: a user's own
servers and sites only, bad input shown in the form and changing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType
from brokeforge.packages.services.sites.site.jobs import SiteInstallerJob, SiteRemoverJob
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Site


def installed(server: Server, name: PackageName, kind: PackageType, instance: str = "") -> None:
    ServerPackage.objects.create(
        server=server, package_type=kind, package_name=name, instance=instance, status=PackageStatus.INSTALLED
    )


@pytest.fixture
def ready(server: Server) -> Server:
    """A provisioned server, as far as the panel's records say: Nginx and PHP 8.2."""
    installed(server, PackageName.NGINX, PackageType.WEBSERVER)
    installed(server, PackageName.PHP, PackageType.PHP, "8.2")
    return server


def add(client: Client, server: Server, **fields: Any) -> Any:
    data = {"domain": "shop.example.com", "site_type": "php", "aliases": "", "web_directory": "public",
            "php_version": "8.2", "proxy_port": "", "redirect": "none", **fields}  # fmt: skip
    return client.post(reverse("site_add", args=[server.pk]), data)


def test_the_server_page_has_the_add_site_form(user_client: Client, ready: Server) -> None:
    page = user_client.get(reverse("server_detail", args=[ready.pk])).content.decode()
    assert f'action="{reverse("site_add", args=[ready.pk])}"' in page
    assert '<option value="8.2" selected>PHP 8.2</option>' in page
    assert "No sites yet." in page


def test_adding_a_site_records_it_and_queues_its_job(user_client: Client, ready: Server) -> None:
    response = add(
        user_client, ready, aliases="www.shop.example.com, shop.example.org", domain="Shop.Example.com"
    )
    site = Site.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("site_detail", args=[site.pk])
    assert (site.domain, site.system_user, site.php_version, site.status) == (
        "shop.example.com", "shop_example_com", "8.2", "pending",
    )  # fmt: skip
    assert site.aliases == ["www.shop.example.com", "shop.example.org"]
    job = Job.objects.get()
    assert (job.site, job.kind.rsplit(".", 1)[1], job.status) == (
        site,
        SiteInstallerJob.__name__,
        JobStatus.QUEUED,
    )
    page = user_client.get(reverse("site_detail", args=[site.pk])).content.decode()
    assert 'hx-get="{}"'.format(reverse("site_live", args=[site.pk])) in page  # polls while the job runs
    assert "/home/shop_example_com/shop.example.com" in page and "Create site shop.example.com" in page
    server_page = user_client.get(reverse("server_detail", args=[ready.pk])).content.decode()
    assert 'data-site="shop.example.com"' in server_page


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"domain": "bad_name.com"}, "is not a host name"),
        ({"domain": "example.com."}, "without the trailing dot"),
        ({"web_directory": "../etc"}, "Web directory"),
        ({"php_version": "8.4"}, "Select a valid choice"),
        ({"site_type": "proxy", "proxy_port": "0"}, "between 1 and 65535"),
        ({"site_type": "proxy"}, "needs the local port"),
        ({"aliases": "ok.example.com, no way"}, "Alias"),
    ],
)
def test_bad_input_is_shown_and_changes_nothing(
    user_client: Client, ready: Server, fields: dict[str, str], error: str
) -> None:
    response = add(user_client, ready, **fields)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Site.objects.exists() and not Job.objects.exists()


def test_a_name_already_used_on_the_server_is_refused(user_client: Client, ready: Server) -> None:
    assert add(user_client, ready, domain="a.example.com", aliases="b.example.com").status_code == 302
    response = add(user_client, ready, domain="b.example.com")
    assert "b.example.com is already a name of a.example.com" in response.content.decode()
    assert Site.objects.count() == 1


def test_a_server_without_that_php_or_without_nginx_is_refused(user_client: Client, server: Server) -> None:
    response = add(user_client, server, site_type="static", php_version="")
    assert "Nginx is not installed" in response.content.decode()
    installed(server, PackageName.NGINX, PackageType.WEBSERVER)
    response = add(user_client, server, php_version="")
    assert "PHP 8.2 is not installed" in response.content.decode()
    assert not Site.objects.exists()


def test_delete_asks_then_queues_the_remover(user_client: Client, ready: Server) -> None:
    add(user_client, ready)
    site = Site.objects.get()
    url = reverse("site_delete", args=[site.pk])
    assert "Delete shop.example.com?" in user_client.get(url).content.decode()
    refused = user_client.post(url)  # its creation job is still queued
    assert refused["Location"] == reverse("site_detail", args=[site.pk])
    assert Job.objects.count() == 1
    Job.objects.update(status=JobStatus.SUCCEEDED)
    response = user_client.post(url)
    assert response["Location"] == reverse("server_detail", args=[ready.pk])
    assert Job.objects.order_by("-id").first().kind.endswith(SiteRemoverJob.__name__)  # type: ignore[union-attr]
    assert Site.objects.filter(pk=site.pk).exists()  # the record goes once the server is clean


def test_another_users_server_and_site_are_not_found(user_client: Client, other_server: Server) -> None:
    site = Site.objects.create(
        server=other_server, domain="theirs.example.com", system_user="theirs_example_com"
    )
    assert add(user_client, other_server).status_code == 404
    for name in ("site_detail", "site_live", "site_delete"):
        assert user_client.get(reverse(name, args=[site.pk])).status_code == 404
    assert user_client.post(reverse("site_delete", args=[site.pk])).status_code == 404
    assert not Job.objects.exists() and Site.objects.count() == 1
