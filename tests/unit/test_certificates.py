"""brokeforge/lib/certificates.py: an uploaded certificate is read, and refused with a message fit for
the user, when its key does not match, it is out of its validity, it misses a site's name, its key
has a passphrase or its chain is out of order. Keys and certificates are made here: a small CA (a
root and an intermediate) issuing leaves with RSA, EC and Ed25519 keys."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from brokeforge.lib.certificates import (
    CertificateInfo,
    check_upload,
    days_left,
    expires_soon,
    parse_chain,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SITE = ["example.com", "www.example.com"]


@cache
def make_key(kind: str, seed: int = 0) -> CertificateIssuerPrivateKeyTypes:
    """A key of each kind, made once per (kind, seed): RSA keys are slow to make."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificate(
    subject: str,
    key: CertificateIssuerPrivateKeyTypes,
    issuer: tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes] | None = None,
    dns_names: Sequence[str] | None = ("example.com", "www.example.com"),
    not_before: datetime = NOW - 30 * DAY,
    not_after: datetime = NOW + 60 * DAY,
    ca: bool = False,
    serial: int | None = None,
) -> x509.Certificate:
    """Signed by `issuer` (its certificate and key), or self-signed without one."""
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns_names is not None:
        san = x509.SubjectAlternativeName([x509.DNSName(dns) for dns in dns_names])
        builder = builder.add_extension(san, critical=False)
    # Ed25519 signs without a separate hash.
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signing_key, algorithm)


def pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


def key_pem(
    key: CertificateIssuerPrivateKeyTypes,
    form: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
    passphrase: bytes | None = None,
) -> str:
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, form, encryption).decode()


@cache
def root() -> x509.Certificate:
    return make_certificate("Test Root CA", make_key("rsa"), dns_names=None, ca=True)


@cache
def intermediate() -> x509.Certificate:
    issuer = (root(), make_key("rsa"))
    return make_certificate("Test Intermediate", make_key("ec"), issuer, dns_names=None, ca=True)


def leaf(kind: str = "ec", **options: Any) -> x509.Certificate:
    """A site's certificate with a `kind` key (seed 1), issued by the intermediate."""
    return make_certificate("example.com", make_key(kind, 1), (intermediate(), make_key("ec")), **options)


def refused(certificate: str, key: str, chain: str | None = None, domains: Sequence[str] = SITE) -> str:
    """The message of a refused upload, checked to quote no line of the key."""
    with pytest.raises(ValueError) as refusal:
        check_upload(certificate, key, chain, domains, NOW)
    message = str(refusal.value)
    key_lines = [line for line in key.splitlines() if line and not line.startswith("-----")]
    assert not any(line in message for line in key_lines)
    return message


# parse_chain


def test_a_chain_is_read_in_the_order_given_the_leaf_first() -> None:
    site = leaf()
    assert parse_chain(pem(site, intermediate(), root())) == [site, intermediate(), root()]


def test_pasted_text_with_crlf_indentation_and_openssl_headers_is_read() -> None:
    site = leaf()
    lines = pem(site).splitlines()
    pasted = "subject=CN=example.com\r\nissuer=CN=Test Intermediate\r\n" + "".join(
        f"    {line}\r\n" for line in lines
    )
    assert parse_chain(pasted) == [site]


@pytest.mark.parametrize(
    "text",
    ["", "   \n", "hello, this is my certificate", pem(root())[:-30]],
    ids=["empty", "blank", "prose", "cut-short"],
)
def test_text_without_a_whole_pem_block_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="No certificate found: paste the whole PEM text"):
        parse_chain(text)


def test_a_damaged_certificate_is_named_by_its_position() -> None:
    damaged = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValueError, match="Certificate 2 could not be read"):
        parse_chain(pem(leaf()) + damaged)


@pytest.mark.parametrize("kind", ["rsa", "ec", "ed25519"])
def test_a_private_key_pasted_as_a_certificate_is_refused_without_quoting_it(kind: str) -> None:
    key = key_pem(make_key(kind, 1))
    for text in (key, pem(leaf()) + key):
        with pytest.raises(
            ValueError, match="holds a private key: paste the key in the key field"
        ) as refusal:
            parse_chain(text)
        assert key.splitlines()[1] not in str(refusal.value)


def test_a_certificate_request_is_not_a_certificate() -> None:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name("example.com"))
        .sign(make_key("ec", 1), hashes.SHA256())
    )
    text = request.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(ValueError, match="found a block labelled CERTIFICATE REQUEST"):
        parse_chain(text)


# CertificateInfo


def test_the_info_of_a_leaf() -> None:
    site = leaf(serial=0xABC)
    info = CertificateInfo.from_certificate(site)
    fingerprint = hashlib.sha256(site.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    assert (
        info
        == CertificateInfo(
            common_name="example.com",
            dns_names=("example.com", "www.example.com"),
            issuer="CN=Test Intermediate",
            not_before=NOW - 30 * DAY,
            not_after=NOW + 60 * DAY,
            serial="0ABC",  # an even count of digits, as openssl prints it
            fingerprint_sha256=":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)),
        )
    )
    assert info.not_after.tzinfo is not None and info.not_after.utcoffset() == timedelta(0)


def test_the_common_name_counts_only_without_sans() -> None:
    without_sans = CertificateInfo.from_certificate(leaf(dns_names=None))
    assert without_sans.dns_names == ("example.com",)
    assert without_sans.covers("example.com")
    other_sans = CertificateInfo.from_certificate(leaf(dns_names=["shop.example.org"]))
    assert other_sans.dns_names == ("shop.example.org",)
    assert not other_sans.covers("example.com")


def test_a_certificate_may_have_no_common_name() -> None:
    key = make_key("ec", 1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(name("Test Intermediate"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("example.com")]), critical=True)
        .sign(make_key("ec"), hashes.SHA256())
    )
    info = CertificateInfo.from_certificate(certificate)
    assert info.common_name is None and info.dns_names == ("example.com",)


def info_for(*dns_names: str) -> CertificateInfo:
    return CertificateInfo(None, dns_names, "CN=Test", NOW, NOW + DAY, "01", "")


@pytest.mark.parametrize(
    ("dns_name", "domain", "covered"),
    [
        ("example.com", "example.com", True),
        ("Example.COM", "example.com", True),
        ("example.com", "EXAMPLE.com", True),
        ("example.com", "example.com.", True),
        ("example.com", "www.example.com", False),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "A.Example.Com", True),
        ("*.EXAMPLE.com", "a.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", ".example.com", False),
        ("*.example.com", "a.example.org", False),
        ("*.example.com", "aexample.com", False),
        ("*.example.com", "*.example.com", True),
        ("*.com", "example.com", False),  # a wildcard never stands for a whole top-level domain
        ("f*.example.com", "foo.example.com", False),  # only a whole label is a wildcard
        ("*.*.example.com", "a.b.example.com", False),
        ("*.example.com", "xn--bcher-kva.example.com", True),
        ("xn--bcher-kva.example.com", "XN--BCHER-KVA.example.com", True),
        ("xn--bcher-kva.example.com", "bücher.example.com", False),  # A-labels as given
    ],
)
def test_covers(dns_name: str, domain: str, covered: bool) -> None:
    assert info_for(dns_name).covers(domain) is covered


LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(label=LABEL, other=LABEL, parent=st.lists(LABEL, min_size=2, max_size=4).map(".".join))
def test_a_wildcard_covers_exactly_one_label_in_any_case(label: str, other: str, parent: str) -> None:
    wildcard = info_for(f"*.{parent}")
    assert wildcard.covers(f"{label}.{parent}")
    assert wildcard.covers(f"{label}.{parent}".upper())
    assert not wildcard.covers(parent)
    assert not wildcard.covers(f"{other}.{label}.{parent}")


# check_upload


@pytest.mark.parametrize("kind", ["rsa", "ec", "ed25519"])
def test_a_good_upload_returns_the_leafs_info(kind: str) -> None:
    site = leaf(kind)
    info = check_upload(pem(site), key_pem(make_key(kind, 1)), pem(intermediate(), root()), SITE, NOW)
    assert info == CertificateInfo.from_certificate(site)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_key_in_the_traditional_openssl_format_is_read(kind: str) -> None:
    key = key_pem(make_key(kind, 1), serialization.PrivateFormat.TraditionalOpenSSL)
    assert check_upload(pem(leaf(kind)), key, None, SITE, NOW).common_name == "example.com"


def test_an_ec_key_after_its_parameters_block_is_read() -> None:
    parameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
    key = parameters + key_pem(make_key("ec", 1), serialization.PrivateFormat.TraditionalOpenSSL)
    check_upload(pem(leaf()), key, "", SITE, NOW)


def test_a_full_chain_may_be_pasted_as_the_certificate_and_again_as_the_chain() -> None:
    full = pem(leaf(), intermediate())
    key = key_pem(make_key("ec", 1))
    assert check_upload(full, key, None, SITE, NOW).issuer == "CN=Test Intermediate"
    assert check_upload(full, key, pem(intermediate(), root()), SITE, NOW).issuer == "CN=Test Intermediate"


def test_a_self_signed_certificate_has_no_chain_to_check() -> None:
    key = make_key("ed25519", 2)
    certificate = make_certificate("example.com", key)
    assert check_upload(pem(certificate), key_pem(key), None, SITE, NOW).issuer == "CN=example.com"


@pytest.mark.parametrize(
    ("certificate_kind", "key_kind", "seed"),
    [("rsa", "rsa", 2), ("ec", "ec", 2), ("ed25519", "ed25519", 2), ("rsa", "ec", 1), ("ec", "ed25519", 1)],
)
def test_a_key_that_does_not_match_is_refused(certificate_kind: str, key_kind: str, seed: int) -> None:
    message = refused(pem(leaf(certificate_kind)), key_pem(make_key(key_kind, seed)))
    assert message.startswith("The private key does not match the certificate")


def test_an_expired_certificate_is_refused_with_its_date() -> None:
    expired = leaf(not_before=NOW - 90 * DAY, not_after=NOW - timedelta(seconds=1))
    message = refused(pem(expired), key_pem(make_key("ec", 1)))
    assert message == "The certificate expired on 2025-06-01 11:59 UTC."


def test_a_certificate_not_yet_valid_is_refused_with_its_date() -> None:
    early = leaf(not_before=NOW + 2 * DAY, not_after=NOW + 90 * DAY)
    message = refused(pem(early), key_pem(make_key("ec", 1)))
    assert message == "The certificate is not valid yet: it becomes valid on 2025-06-03 12:00 UTC."


def test_the_first_and_last_second_of_validity_are_valid() -> None:
    key = key_pem(make_key("ec", 1))
    assert check_upload(pem(leaf(not_before=NOW)), key, None, SITE, NOW)
    assert check_upload(pem(leaf(not_after=NOW)), key, None, SITE, NOW)


def test_the_domains_not_covered_are_named() -> None:
    domains = ["example.com", "shop.example.com", "www.example.com", "example.org"]
    message = refused(pem(leaf()), key_pem(make_key("ec", 1)), domains=domains)
    assert message == (
        "The certificate does not cover shop.example.com, example.org; "
        "it covers example.com, www.example.com."
    )


def test_a_wildcard_certificate_covers_the_subdomains_but_not_the_apex() -> None:
    wildcard = pem(leaf(dns_names=["*.example.com"]))
    key = key_pem(make_key("ec", 1))
    check_upload(wildcard, key, None, ["www.example.com", "shop.example.com"], NOW)
    message = refused(wildcard, key, domains=["www.example.com", "example.com", "a.b.example.com"])
    assert message.startswith("The certificate does not cover example.com, a.b.example.com;")


@pytest.mark.parametrize(
    "form", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_a_key_with_a_passphrase_is_refused_with_how_to_remove_it(form: serialization.PrivateFormat) -> None:
    key = key_pem(make_key("rsa", 1), form, passphrase=b"correct horse")
    message = refused(pem(leaf("rsa")), key)
    assert message.startswith("The private key is protected by a passphrase: remove it")
    assert "correct horse" not in message


def test_a_chain_out_of_order_is_refused() -> None:
    message = refused(pem(leaf()), key_pem(make_key("ec", 1)), pem(root(), intermediate()))
    assert message == (
        "The certificates are not in issuing order: certificate 1 (CN=example.com) was issued by "
        "CN=Test Intermediate, but certificate 2 is CN=Test Root CA. Put the site's certificate first, "
        "then each certificate's issuer after it."
    )


def test_a_certificate_that_issued_nothing_in_the_chain_is_refused() -> None:
    other = make_certificate("Other CA", make_key("ec", 5), dns_names=None, ca=True)
    message = refused(pem(leaf()), key_pem(make_key("ec", 1)), pem(intermediate(), other))
    assert message.startswith(
        "The certificates are not in issuing order: certificate 2 (CN=Test Intermediate) was issued by "
        "CN=Test Root CA, but certificate 3 is CN=Other CA."
    )


def test_a_chain_pasted_backwards_is_refused_for_its_order_not_its_key() -> None:
    message = refused(pem(root(), intermediate(), leaf()), key_pem(make_key("ec", 1)))
    assert message.startswith("The certificates are not in issuing order: certificate 1 (CN=Test Root CA)")


def test_a_chain_from_an_issuer_of_the_same_name_is_refused_by_its_signature() -> None:
    impostor = make_certificate("Test Intermediate", make_key("ec", 3), (root(), make_key("rsa")), ca=True)
    message = refused(pem(leaf()), key_pem(make_key("ec", 1)), pem(impostor, root()))
    assert message.startswith("Certificate 1 (CN=example.com) was not signed by certificate 2")


@pytest.mark.parametrize("kind", ["rsa", "ec", "ed25519"])
def test_the_signatures_are_checked_up_to_the_root(kind: str) -> None:
    # The real root's key is RSA: a same-named root with an RSA key of its own, or a key of another type.
    other_root = make_certificate("Test Root CA", make_key(kind, 4), dns_names=None, ca=True)
    message = refused(pem(leaf()), key_pem(make_key("ec", 1)), pem(intermediate(), other_root))
    assert message.startswith("Certificate 2 (CN=Test Intermediate) was not signed by certificate 3")


def test_a_signature_that_cannot_be_checked_leaves_the_names_to_decide() -> None:
    # An issuer whose key (X25519) cannot sign at all: nothing to verify the signature with.
    odd_issuer = (
        x509.CertificateBuilder()
        .subject_name(name("Test Intermediate"))
        .issuer_name(name("Test Root CA"))
        .public_key(x25519.X25519PrivateKey.generate().public_key())
        .serial_number(5)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .sign(make_key("rsa"), hashes.SHA256())
    )
    check_upload(pem(leaf()), key_pem(make_key("ec", 1)), pem(odd_issuer, root()), SITE, NOW)


def test_a_certificate_in_the_key_field_is_refused() -> None:
    assert refused(pem(leaf()), pem(leaf())) == "The key field holds a certificate, not a private key."


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("", "No private key found: paste the whole PEM text"),
        ("my key", "No private key found: paste the whole PEM text"),
        (
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
            "The private key could not be read",
        ),
    ],
)
def test_a_key_that_cannot_be_read_is_refused(key: str, expected: str) -> None:
    assert refused(pem(leaf()), key).startswith(expected)


def test_two_keys_are_refused() -> None:
    two = key_pem(make_key("ec", 1)) + key_pem(make_key("ec", 2))
    assert refused(pem(leaf()), two).startswith("The key field holds more than one private key")


# days_left and expires_soon


@pytest.mark.parametrize(
    ("left", "days"),
    [
        (60 * DAY, 60),
        (20 * DAY + timedelta(hours=23), 20),
        (timedelta(hours=1), 0),
        (-timedelta(hours=1), -1),
    ],
)
def test_days_left_counts_whole_days(left: timedelta, days: int) -> None:
    assert days_left(NOW + left, NOW) == days


@pytest.mark.parametrize(
    ("left", "within", "soon"),
    [
        (22 * DAY, 21, False),
        (21 * DAY, 21, True),
        (DAY, 21, True),
        (-DAY, 21, True),  # an expired certificate is flagged too
        (10 * DAY, 7, False),
        (6 * DAY, 7, True),
    ],
)
def test_expires_soon(left: timedelta, within: int, soon: bool) -> None:
    assert expires_soon(NOW + left, NOW, within_days=within) is soon


def test_expires_soon_flags_three_weeks_ahead_by_default() -> None:
    info = CertificateInfo.from_certificate(leaf(not_after=NOW + 21 * DAY))
    assert expires_soon(info.not_after, NOW)
    assert not expires_soon(info.not_after, NOW - DAY)
