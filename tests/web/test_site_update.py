"""A site's settings page: the fields its type has, the domain and type shown as fixed; saving
queues the update with only what changed, and the site's record waits for the job; bad input is
shown in the form and queues nothing; force-HTTPS and HSTS need a certificate; another user's
site is not found."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job
from brokeforge.lib.enums import CertificateKind, CertificateStatus, PackageName, PackageStatus, PackageType
from brokeforge.packages.services.sites.site.jobs import SiteUpdaterJob
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.sites.models import Certificate, Site


@pytest.fixture
def site(server: Server) -> Site:
    for name, kind, instance in [
        (PackageName.NGINX, PackageType.WEBSERVER, ""),
        (PackageName.PHP, PackageType.PHP, "8.2"),
    ]:
        ServerPackage.objects.create(
            server=server, package_type=kind, package_name=name, instance=instance,
            status=PackageStatus.INSTALLED,
        )  # fmt: skip
    spec = SiteSpec.validated("shop.example.com", "php", ["a.example.com"], None, "8.2")
    return Site.objects.create(server=server, **spec.model_fields(), status="active")


def post(client: Client, site: Site, **fields: str) -> Any:
    data = {"aliases": "a.example.com", "web_directory": "public", "php_version": "8.2", "redirect": "none"}
    return client.post(reverse("site_edit", args=[site.pk]), {**data, **fields})


def test_the_site_page_links_its_settings_and_environment(user_client: Client, site: Site) -> None:
    page = user_client.get(reverse("site_detail", args=[site.pk])).content.decode()
    assert f'href="{reverse("site_edit", args=[site.pk])}"' in page
    assert f'href="{reverse("site_env", args=[site.pk])}"' in page
    assert f"{site.path}/current" in page  # where commands run


def test_the_form_has_the_fields_of_the_sites_type(user_client: Client, site: Site, server: Server) -> None:
    page = user_client.get(reverse("site_edit", args=[site.pk])).content.decode()
    assert 'value="a.example.com"' in page and '<option value="8.2" selected>PHP 8.2</option>' in page
    assert 'name="proxy_port"' not in page and "cannot change" in page
    proxy = Site.objects.create(
        server=server, **SiteSpec.validated("app.example.com", "proxy", proxy_port=3000).model_fields()
    )
    page = user_client.get(reverse("site_edit", args=[proxy.pk])).content.decode()
    assert 'name="proxy_port"' in page and 'value="3000"' in page
    assert 'name="web_directory"' not in page and 'name="php_version"' not in page


def test_saving_queues_what_changed_and_the_record_waits(user_client: Client, site: Site) -> None:
    response = post(user_client, site, aliases="a.example.com, b.example.com", web_directory="web")
    assert response.status_code == 302 and response["Location"] == reverse("site_detail", args=[site.pk])
    job = Job.objects.get()
    assert job.kind.endswith(SiteUpdaterJob.__name__) and job.site == site
    assert json.loads(job.arguments[0]) == {
        "aliases": ["a.example.com", "b.example.com"],
        "web_directory": "web",
    }
    site.refresh_from_db()
    assert (site.aliases, site.web_directory) == (["a.example.com"], "public")
    page = user_client.get(reverse("site_detail", args=[site.pk])).content.decode()
    assert "Update the settings of shop.example.com: aliases, web_directory" in page


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "Nothing to change"),
        ({"aliases": "shop.example.com"}, "must be different"),
        ({"aliases": "not a name"}, "is not a host name"),
        ({"web_directory": "../up"}, "Web directory"),
        ({"php_version": "8.4"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_and_queues_nothing(
    user_client: Client, site: Site, fields: dict[str, str], error: str
) -> None:
    response = post(user_client, site, **fields)
    assert response.status_code == 200 and error in response.content.decode()
    assert not Job.objects.exists()


def test_another_users_site_is_not_found(user_client: Client, other_server: Server) -> None:
    theirs = Site.objects.create(
        server=other_server, domain="theirs.example.com", system_user="theirs_example_com"
    )
    assert user_client.get(reverse("site_edit", args=[theirs.pk])).status_code == 404
    assert user_client.post(reverse("site_edit", args=[theirs.pk]), {"redirect": "none"}).status_code == 404
    assert not Job.objects.exists()


def certified(site: Site) -> Certificate:
    return Certificate.objects.create(
        site=site, kind=CertificateKind.ACME, status=CertificateStatus.ACTIVE,
        domains=["shop.example.com", "a.example.com"], names=["shop.example.com", "a.example.com"],
    )  # fmt: skip


def test_the_form_offers_force_https_and_hsts(user_client: Client, site: Site) -> None:
    page = user_client.get(reverse("site_edit", args=[site.pk])).content.decode()
    assert 'name="force_https"' in page and 'name="hsts_max_age"' in page and 'value="0"' in page
    assert "need a certificate" in page and f'href="{reverse("site_ssl", args=[site.pk])}"' in page


def test_force_https_and_hsts_need_a_certificate(user_client: Client, site: Site) -> None:
    response = post(user_client, site, force_https="on")
    assert response.status_code == 200
    assert "Force HTTPS needs a certificate on shop.example.com" in response.content.decode()
    response = post(user_client, site, hsts_max_age="300")
    assert "HSTS needs a certificate on shop.example.com" in response.content.decode()
    assert not Job.objects.exists()


def test_force_https_and_hsts_are_queued_with_a_certificate(user_client: Client, site: Site) -> None:
    certificate = certified(site)
    page = user_client.get(reverse("site_edit", args=[site.pk])).content.decode()
    assert f"certificate #{certificate.pk}" in page
    response = post(user_client, site, force_https="on", hsts_max_age="300")
    assert response.status_code == 302
    assert json.loads(Job.objects.get().arguments[0]) == {"force_https": True, "hsts_max_age": 300}
    site.refresh_from_db()
    assert (site.force_https, site.hsts_max_age) == (False, 0)  # until the job has put them in place


def test_unchecking_force_https_turns_it_off(user_client: Client, site: Site) -> None:
    certified(site)
    Site.objects.filter(pk=site.pk).update(force_https=True, hsts_max_age=300)
    page = user_client.get(reverse("site_edit", args=[site.pk])).content.decode()
    assert 'name="force_https" aria-describedby="id_force_https_helptext" id="id_force_https" checked' in page
    post(user_client, site, hsts_max_age="300")
    assert json.loads(Job.objects.get().arguments[0]) == {"force_https": False}


def test_an_hsts_max_age_out_of_range_is_refused(user_client: Client, site: Site) -> None:
    certified(site)
    for value, error in (
        ("-1", "greater than or equal to 0"),
        ("63072001", "less than or equal to 63072000"),
    ):
        response = post(user_client, site, hsts_max_age=value)
        assert response.status_code == 200 and error in response.content.decode()
    assert not Job.objects.exists()
