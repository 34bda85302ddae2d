"""A site's SSL page: the certificate it serves with what needs a look (expiry, a failed renewal,
port 443 serving another, names it does not cover); issuing queues a job and a certificate, a
name the site does not answer to is refused; an upload is checked before anything is queued and
its key never comes back in the page; a failed issuance shows the ACME server's words as text and
can be retried; renew, check again, remove (confirmed, warned about HSTS); flags on the server's
sites and the servers list. Another user's site is not found; forms need their CSRF token."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brokeforge.jobs.models import Job
from brokeforge.lib.enums import CertificateKind, CertificateStatus, SiteStatus
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.servers.models import Server
from brokeforge.sites.models import Certificate, Site
from tests.web.test_content_security_policy import InlineCode

DAY = timedelta(days=1)


@cache
def make_key(seed: int = 0) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(seed: int = 0) -> str:
    return (
        make_key(seed)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


def certificate_pem(names: list[str], seed: int = 0, days: int = 60) -> str:
    """A self-signed certificate for `names`, valid from yesterday for `days` days."""
    key = make_key(seed)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + days * DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def site(server: Server) -> Site:
    spec = SiteSpec.validated("shop.example.com", "php", ["a.example.com"], None, "8.2")
    return Site.objects.create(server=server, **spec.model_fields(), status=SiteStatus.ACTIVE)


def active(site: Site, now: datetime | None = None, **fields: Any) -> Certificate:
    """An ACME certificate the site serves, as a refresh would have read it back."""
    now = now or timezone.now()
    defaults: dict[str, Any] = {
        "kind": CertificateKind.ACME,
        "domains": ["shop.example.com"],
        "names": ["shop.example.com"],
        "issuer": "CN=R11,O=Let's Encrypt,C=US",
        "serial": "0a1b2c",
        "fingerprint": "AA:BB:CC",
        "not_before": now - 30 * DAY,
        "not_after": now + 60 * DAY,
        "read_at": now,
        "served_fingerprint": "AA:BB:CC",
        "served_checked_at": now,
        "activated_at": now - 30 * DAY,
    }
    return Certificate.objects.create(site=site, status=CertificateStatus.ACTIVE, **(defaults | fields))


def url(name: str, site: Site, *args: int) -> str:
    return reverse(name, args=[site.pk, *args])


def test_the_page_shows_the_certificate_and_what_needs_a_look(user_client: Client, site: Site) -> None:
    now = timezone.now()
    certificate = active(
        site,
        now,
        not_after=now + 5 * DAY + timedelta(hours=1),
        renewal_error="Challenge failed: <b>connection refused</b>",
        served_fingerprint="DD:EE:FF",
        served_not_after=now + 80 * DAY,
    )
    response = user_client.get(url("site_ssl", site))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-certificate-id="{certificate.pk}" data-kind="acme"' in page
    assert "CN=R11,O=Let&#x27;s Encrypt,C=US" in page and "(5 days left)" in page
    # Each problem, as the model says it; the renewal's error is the server's words, as text.
    for problem in ("expires in 5 days", "its last renewal failed", "port 443 serves another certificate"):
        assert problem in page
    assert "Challenge failed: &lt;b&gt;connection refused&lt;/b&gt;" in page
    assert 'data-served="other"' in page and "DD:EE:FF" in page
    # The alias the certificate does not cover is named.
    assert "does not cover a.example.com: browsers warn on it over HTTPS" in page
    for action in ("site_ssl_renew", "site_ssl_refresh", "site_ssl_remove"):
        assert url(action, site) in page
    # The issue form offers every name of the site, all checked.
    assert 'value="shop.example.com" id="id_domains_0" checked' in page
    assert 'value="a.example.com" id="id_domains_1" checked' in page
    parser = InlineCode()
    parser.feed(page)
    assert parser.found == []


def test_a_healthy_certificate_has_nothing_flagged(user_client: Client, site: Site) -> None:
    active(site, names=["shop.example.com", "a.example.com"])
    page = user_client.get(url("site_ssl", site)).content.decode()
    assert 'data-served="matches"' in page and "this certificate" in page
    assert 'id="ssl-problems"' not in page
    assert 'id="ssl-renewal-error"' not in page


def test_a_site_without_a_certificate_says_so(user_client: Client, site: Site) -> None:
    page = user_client.get(url("site_ssl", site)).content.decode()
    assert 'id="no-certificate"' in page and url("site_ssl_renew", site) not in page


def test_issuing_queues_a_job_and_a_certificate(user_client: Client, site: Site) -> None:
    sent = {"domains": ["shop.example.com", "a.example.com"], "email": "ops@example.com"}
    response = user_client.post(url("site_ssl_issue", site), sent)
    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job_detail", args=[certificate.job_id])
    assert (certificate.kind, certificate.status) == ("acme", "queued")
    assert (certificate.domains, certificate.email) == (
        ["shop.example.com", "a.example.com"],
        "ops@example.com",
    )
    job = Job.objects.get()
    assert job.pk == certificate.job_id and job.site == site
    page = user_client.get(url("site_ssl", site)).content.decode()
    assert 'id="ssl-pending"' in page and "hx-trigger" in page  # polled until it is done


def test_a_name_the_site_does_not_answer_is_refused(user_client: Client, site: Site) -> None:
    response = user_client.post(url("site_ssl_issue", site), {"domains": ["evil.example.net"], "email": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "evil.example.net is not a name of shop.example.com" in page
    assert not Certificate.objects.exists() and not Job.objects.exists()


def test_no_name_checked_is_refused(user_client: Client, site: Site) -> None:
    response = user_client.post(url("site_ssl_issue", site), {"email": ""})
    assert response.status_code == 400 and "Check at least one name." in response.content.decode()
    assert not Certificate.objects.exists() and not Job.objects.exists()


def test_a_bad_email_is_refused(user_client: Client, site: Site) -> None:
    response = user_client.post(
        url("site_ssl_issue", site), {"domains": ["shop.example.com"], "email": "<not an address>"}
    )
    assert response.status_code == 400
    assert "&#x27;&lt;not an address&gt;&#x27; is not an email address" in response.content.decode()
    assert not Certificate.objects.exists() and not Job.objects.exists()


def test_an_upload_with_another_key_is_refused_and_the_key_not_shown(user_client: Client, site: Site) -> None:
    sent = {"certificate": certificate_pem(["shop.example.com"]), "private_key": key_pem(seed=1), "chain": ""}
    response = user_client.post(url("site_ssl_upload", site), sent)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The private key does not match the certificate" in page
    key_body = key_pem(seed=1).splitlines()[1]
    assert key_body not in page and "PRIVATE KEY-----" not in page
    assert 'name="private_key"' in page  # the field is there, empty
    assert not Certificate.objects.exists() and not Job.objects.exists()


def test_a_key_pasted_in_a_certificate_field_is_refused_and_not_shown(
    user_client: Client, site: Site
) -> None:
    pasted = certificate_pem(["shop.example.com"]) + key_pem(seed=2)
    sent = {"certificate": pasted, "private_key": key_pem(), "chain": key_pem(seed=3)}
    response = user_client.post(url("site_ssl_upload", site), sent)
    page = response.content.decode()
    assert response.status_code == 400 and "holds a private key" in page
    for seed in (2, 3):
        assert key_pem(seed=seed).splitlines()[1] not in page
    assert "PRIVATE KEY-----" not in page
    assert not Certificate.objects.exists() and not Job.objects.exists()


def test_an_upload_missing_the_sites_domain_is_refused(user_client: Client, site: Site) -> None:
    sent = {"certificate": certificate_pem(["other.example.com"]), "private_key": key_pem(), "chain": ""}
    response = user_client.post(url("site_ssl_upload", site), sent)
    assert response.status_code == 400
    assert "does not cover shop.example.com" in response.content.decode()
    assert not Certificate.objects.exists() and not Job.objects.exists()


def test_a_good_upload_is_queued_with_its_key_kept_encrypted(user_client: Client, site: Site) -> None:
    sent = {"certificate": certificate_pem(["shop.example.com"]), "private_key": key_pem(), "chain": ""}
    response = user_client.post(url("site_ssl_upload", site), sent)
    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job_detail", args=[certificate.job_id])
    assert (certificate.kind, certificate.status, certificate.domains) == (
        "custom",
        "queued",
        ["shop.example.com"],
    )
    assert certificate.private_key.strip() == key_pem().strip()
    job = Job.objects.get()
    assert key_pem().splitlines()[1] not in str(job.arguments)


def test_a_failed_issuance_shows_its_error_as_text_and_can_be_retried(
    user_client: Client, site: Site
) -> None:
    failed = Certificate.objects.create(
        site=site,
        kind=CertificateKind.ACME,
        status=CertificateStatus.FAILED,
        domains=["shop.example.com"],
        email="ops@example.com",
        error='shop.example.com: Invalid response: "<script>alert(1)</script>"',
    )
    page = user_client.get(url("site_ssl", site)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert f'data-certificate-id="{failed.pk}" data-status="failed"' in page
    assert url("site_ssl_retry", site, failed.pk) in page

    response = user_client.post(url("site_ssl_retry", site, failed.pk))
    attempt = Certificate.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == reverse("job_detail", args=[attempt.job_id])
    assert (attempt.status, attempt.domains, attempt.email) == (
        "queued",
        ["shop.example.com"],
        "ops@example.com",
    )


def test_an_uploaded_certificate_has_no_retry_nor_renewal(user_client: Client, site: Site) -> None:
    failed = Certificate.objects.create(
        site=site, kind=CertificateKind.CUSTOM, status=CertificateStatus.FAILED, domains=["shop.example.com"],
        error="nginx: [emerg] cannot load certificate",
    )  # fmt: skip
    active(site, kind=CertificateKind.CUSTOM)
    page = user_client.get(url("site_ssl", site)).content.decode()
    assert url("site_ssl_retry", site, failed.pk) not in page and url("site_ssl_renew", site) not in page
    response = user_client.post(url("site_ssl_retry", site, failed.pk), follow=True)
    assert "did not fail an issuance" in response.content.decode()
    response = user_client.post(url("site_ssl_renew", site), follow=True)
    assert "renew it where it was issued" in response.content.decode()
    assert not Job.objects.exists()


def test_renew_and_check_again_queue_jobs(user_client: Client, site: Site) -> None:
    active(site)
    for name, label in (
        ("site_ssl_renew", "Renew the certificate"),
        ("site_ssl_refresh", "Check the certificate"),
    ):
        response = user_client.post(url(name, site))
        job = Job.objects.latest("id")
        assert response["Location"] == reverse("job_detail", args=[job.pk])
        assert job.label.startswith(label)


def test_removing_is_confirmed_first_and_warns_about_hsts(user_client: Client, site: Site) -> None:
    active(site)
    page = user_client.get(url("site_ssl_remove", site)).content.decode()
    assert 'id="confirm-remove-button"' in page and 'id="ssl-remove-hsts"' not in page
    assert not Job.objects.exists()
    Site.objects.filter(pk=site.pk).update(force_https=True, hsts_max_age=31536000)
    page = user_client.get(url("site_ssl_remove", site)).content.decode()
    assert 'id="ssl-remove-hsts"' in page and "max-age 31536000" in page
    assert "Force HTTPS is turned off" in page
    response = user_client.post(url("site_ssl_remove", site))
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.label.startswith("Remove the certificate of shop.example.com")


def test_nothing_to_remove_or_renew_without_a_certificate(user_client: Client, site: Site) -> None:
    response = user_client.get(url("site_ssl_remove", site), follow=True)
    assert "has no certificate to remove" in response.content.decode()
    response = user_client.post(url("site_ssl_renew", site), follow=True)
    assert "has no certificate: issue or upload one first" in response.content.decode()
    assert not Job.objects.exists()


def test_the_site_page_links_ssl_and_flags_problems(user_client: Client, site: Site) -> None:
    page = user_client.get(reverse("site_detail", args=[site.pk])).content.decode()
    assert f'href="{url("site_ssl", site)}"' in page and "served over plain HTTP only" in page
    active(site, renewal_error="rate limited")
    page = user_client.get(reverse("site_detail", args=[site.pk])).content.decode()
    assert 'id="site-ssl-problems"' in page and "its last renewal failed" in page


def test_flags_on_the_servers_sites_and_the_servers_list(
    user_client: Client, site: Site, server: Server
) -> None:
    calm = Site.objects.create(
        server=server, **SiteSpec.validated("calm.example.com", "php", (), None, "8.2").model_fields(),
        status=SiteStatus.ACTIVE,
    )  # fmt: skip
    active(calm, domains=["calm.example.com"], names=["calm.example.com"])
    page = user_client.get(reverse("servers")).content.decode()
    assert "ssl-attention" not in page
    detail = user_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    assert "ssl-attention" not in detail

    active(site, served_fingerprint="", served_error="", not_after=timezone.now() - DAY)
    page = user_client.get(reverse("servers")).content.decode()
    row = page.split(f'data-server-id="{server.pk}"')[1].split("</tr>")[0]
    assert "1 certificate needs a look" in row
    detail = user_client.get(reverse("server_live", args=[server.pk])).content.decode()
    flagged = detail.split('data-site="shop.example.com"')[1].split("</li>")[0]
    assert "ssl-attention" in flagged and "expired on" in flagged and "not served on port 443" in flagged
    assert url("site_ssl", site) in flagged
    assert "ssl-attention" not in detail.split('data-site="calm.example.com"')[1].split("</li>")[0]


def test_another_users_site_is_not_found(user_client: Client, other_server: Server) -> None:
    theirs = Site.objects.create(
        server=other_server, domain="their.example.com", system_user="their_example_com",
        status=SiteStatus.ACTIVE,
    )  # fmt: skip
    failed = Certificate.objects.create(
        site=theirs, kind=CertificateKind.ACME, status=CertificateStatus.FAILED, domains=["their.example.com"]
    )
    active(theirs, domains=["their.example.com"])
    for name in ("site_ssl", "site_ssl_live", "site_ssl_remove"):
        assert user_client.get(url(name, theirs)).status_code == 404
    for name in (
        "site_ssl_issue",
        "site_ssl_upload",
        "site_ssl_renew",
        "site_ssl_refresh",
        "site_ssl_remove",
    ):
        assert user_client.post(url(name, theirs), {"domains": ["their.example.com"]}).status_code == 404
    assert user_client.post(url("site_ssl_retry", theirs, failed.pk)).status_code == 404
    assert Certificate.objects.count() == 2 and not Job.objects.exists()


def test_a_certificate_of_another_site_cannot_be_retried_through_mine(
    user_client: Client, site: Site, other_server: Server
) -> None:
    theirs = Site.objects.create(
        server=other_server, domain="their.example.com", system_user="their_example_com",
        status=SiteStatus.ACTIVE,
    )  # fmt: skip
    failed = Certificate.objects.create(
        site=theirs, kind=CertificateKind.ACME, status=CertificateStatus.FAILED, domains=["their.example.com"]
    )
    assert user_client.post(url("site_ssl_retry", site, failed.pk)).status_code == 404
    assert not Job.objects.exists()


def test_actions_are_post_only(user_client: Client, site: Site) -> None:
    active(site)
    for name in ("site_ssl_issue", "site_ssl_upload", "site_ssl_renew", "site_ssl_refresh"):
        assert user_client.get(url(name, site)).status_code == 405
    assert not Job.objects.exists()


def test_anonymous_is_sent_to_sign_in(client: Client, site: Site) -> None:
    for name in ("site_ssl", "site_ssl_remove"):
        response = client.get(url(name, site))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.post(url("site_ssl_issue", site), {"domains": ["shop.example.com"]})
    assert response.status_code == 302 and not Certificate.objects.exists()


@pytest.fixture
def strict_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_forms_need_their_csrf_token(strict_client: Client, site: Site) -> None:
    certificate = active(site)
    failed = Certificate.objects.create(
        site=site, kind=CertificateKind.ACME, status=CertificateStatus.FAILED, domains=["shop.example.com"]
    )
    page = strict_client.get(url("site_ssl", site)).content.decode()
    # Renew, check again, retry, issue, upload and sign out.
    assert page.count('name="csrfmiddlewaretoken"') == 6
    sent = {"domains": ["shop.example.com"], "certificate": "x", "private_key": "y"}
    for action in (
        "site_ssl_issue",
        "site_ssl_upload",
        "site_ssl_renew",
        "site_ssl_refresh",
        "site_ssl_remove",
    ):
        assert strict_client.post(url(action, site), sent).status_code == 403
    assert strict_client.post(url("site_ssl_retry", site, failed.pk)).status_code == 403
    assert not Job.objects.exists() and Certificate.objects.count() == 2
    token = strict_client.cookies["csrftoken"].value
    response = strict_client.post(url("site_ssl_refresh", site), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and Job.objects.get().label.endswith(
        f"(certificate #{certificate.pk})"
    )
