"""TLS certificates as the panel reads and checks them, before any of it reaches a server.

An uploaded certificate is checked here, whole: a key that does not match, an expired certificate,
one missing a site's name or a chain out of order would otherwise only show up later, as nginx
refusing its reload or browsers warning the site's visitors. `CertificateInfo` is also what the
panel shows of a certificate read back from a server, so what it shows is what is served.

Every ValueError raised here is a message for the user who pasted the text. None quotes the key,
nor the library's own error text, which may echo what it was given.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

# One PEM block, up to the END line of its own label. Text around the blocks (the "subject=" and
# "Bag Attributes" lines openssl prints before them) is ignored, as nginx and openssl ignore it.
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)
_CERTIFICATE = "CERTIFICATE"
_WHOLE_PEM = "paste the whole PEM text, from its -----BEGIN line to its -----END line"


@dataclass(frozen=True)
class CertificateInfo:
    """What the panel shows and checks of a leaf certificate."""

    common_name: str | None  # a certificate may have none: its names are then only in the SANs
    dns_names: tuple[str, ...]  # as written in the certificate
    issuer: str  # RFC 4514, e.g. "CN=R11,O=Let's Encrypt,C=US"
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC
    serial: str  # upper-case hex, as `openssl x509 -serial` prints it
    fingerprint_sha256: str  # "AB:CD:...", as `openssl x509 -fingerprint -sha256` prints it

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> CertificateInfo:
        common_name = _common_name(certificate.subject)
        return cls(
            common_name=common_name,
            dns_names=_dns_names(certificate, common_name),
            issuer=certificate.issuer.rfc4514_string(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            serial=_even_hex(certificate.serial_number),
            fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(":").upper(),
        )

    def covers(self, domain: str) -> bool:
        """Whether a browser would accept this certificate for `domain` (IDNA A-labels, as given)."""
        return names_cover(self.dns_names, domain)


def names_cover(dns_names: Iterable[str], domain: str) -> bool:
    """Whether a certificate for `dns_names` (wildcards included) is accepted for `domain`."""
    wanted = _normal(domain)
    return any(_name_matches(_normal(name), wanted) for name in dns_names)


def parse_chain(pem: str) -> list[x509.Certificate]:
    """The certificates of a PEM text in the order given: the leaf first, then its issuers."""
    blocks = _pem_blocks(pem)
    if any(_is_private_key(label) for label, _text in blocks):
        # Refused rather than skipped: a key kept in a certificate field would be stored unencrypted.
        raise ValueError(
            "This text holds a private key: paste the key in the key field only, and here only "
            "certificates (-----BEGIN CERTIFICATE-----)."
        )
    if not blocks:
        raise ValueError(f"No certificate found: {_WHOLE_PEM}.")
    for label, _text in blocks:
        if label != _CERTIFICATE:
            raise ValueError(f"Expected certificates only, found a block labelled {label}.")
    return [_load_certificate(text, position) for position, (_label, text) in enumerate(blocks, 1)]


def check_upload(
    certificate_pem: str,
    key_pem: str,
    chain_pem: str | None,
    domains: Iterable[str],
    now: datetime,
) -> CertificateInfo:
    """The leaf's info, once the upload is fit to serve `domains` at `now` (aware); ValueError if not.

    `certificate_pem` may hold the full chain itself (a fullchain.pem); `chain_pem` is then optional.
    """
    certificates = parse_chain(certificate_pem)
    if chain_pem and chain_pem.strip():
        certificates += parse_chain(chain_pem)
    # A full chain pasted as the certificate, then its chain again: serving each once is what was meant.
    certificates = list(dict.fromkeys(certificates))
    key = _load_private_key(key_pem)
    # The order first: with a chain pasted backwards the "leaf" is a CA, and a key mismatch would mislead.
    _check_issuing_order(certificates)
    leaf = certificates[0]
    _check_key_matches(leaf, key)
    info = CertificateInfo.from_certificate(leaf)
    _check_valid_at(info, now)
    _check_covers(info, domains)
    return info


def canonical_key(key_pem: str) -> str:
    """The key as PKCS#8 PEM, as OpenSSL and Nginx read it whatever the paste did to its layout
    (indentation, line endings); ValueError as check_upload gives."""
    key = _load_private_key(key_pem)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days until a certificate valid until `not_after` expires; negative once it has."""
    return (not_after - now).days


def expires_soon(not_after: datetime, now: datetime, within_days: int = 21) -> bool:
    """Whether to flag the certificate: it expires within `within_days`, or already has. Three
    weeks by default: certbot renews 30 days ahead, so one still this close missed its renewals."""
    return not_after - now <= timedelta(days=within_days)


def _pem_blocks(text: str) -> list[tuple[str, str]]:
    # Pasted text comes with CRLF line ends, or indented from YAML or an email: each line is
    # stripped so the PEM decoder sees the standard layout.
    lines = "\n".join(line.strip() for line in text.splitlines())
    return [(match.group(1), match.group(0) + "\n") for match in _PEM_BLOCK.finditer(lines)]


def _is_private_key(label: str) -> bool:
    # PRIVATE KEY, RSA/EC PRIVATE KEY, ENCRYPTED PRIVATE KEY, OPENSSH PRIVATE KEY, ...
    return label.endswith("PRIVATE KEY")


def _load_certificate(text: str, position: int) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        raise ValueError(
            f"Certificate {position} could not be read: its text is damaged (cut short or edited?)."
        ) from None


def _load_private_key(key_pem: str) -> PrivateKeyTypes:
    blocks = _pem_blocks(key_pem)
    # The key block alone: `openssl ecparam -genkey` puts an EC PARAMETERS block before it.
    keys = [text for label, text in blocks if _is_private_key(label)]
    if not keys and any(label == _CERTIFICATE for label, _text in blocks):
        raise ValueError("The key field holds a certificate, not a private key.")
    if not keys:
        raise ValueError(f"No private key found: {_WHOLE_PEM}.")
    if len(keys) > 1:
        raise ValueError("The key field holds more than one private key: paste only the certificate's key.")
    try:
        return serialization.load_pem_private_key(keys[0].encode(), password=None)
    except TypeError:
        # cryptography's way of saying the key needs a password.
        raise ValueError(
            "The private key is protected by a passphrase: remove it "
            "(openssl pkey -in encrypted.key -out plain.key) and upload the result. "
            "The panel keeps keys encrypted itself."
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError(
            "The private key could not be read: it must be an RSA, EC or Ed25519 key in PEM."
        ) from None


def _check_issuing_order(certificates: list[x509.Certificate]) -> None:
    for position, (child, parent) in enumerate(itertools.pairwise(certificates), 1):
        if child.issuer != parent.subject:
            raise ValueError(
                f"The certificates are not in issuing order: certificate {position} "
                f"({child.subject.rfc4514_string()}) was issued by {child.issuer.rfc4514_string()}, "
                f"but certificate {position + 1} is {parent.subject.rfc4514_string()}. "
                "Put the site's certificate first, then each certificate's issuer after it."
            )
        if not _signature_holds(child, parent):
            raise ValueError(
                f"Certificate {position} ({child.subject.rfc4514_string()}) was not signed by "
                f"certificate {position + 1}, though the names match: that is another issuer of the "
                "same name. Use the chain your certificate authority gave with this certificate."
            )


def _signature_holds(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError):
        # The names matched already: a ValueError here says the parent's key is not even of the
        # signature's type (an EC key cannot have made an RSA signature).
        return False
    except (TypeError, UnsupportedAlgorithm):
        # A key or signature algorithm cryptography cannot verify: the names are all we can check.
        return True
    return True


def _check_key_matches(certificate: x509.Certificate, key: PrivateKeyTypes) -> None:
    # The public halves compared as DER: one comparison for RSA, EC and Ed25519 alike.
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if certificate.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise ValueError(
            "The private key does not match the certificate: upload the key the certificate was issued for."
        )


def _check_valid_at(info: CertificateInfo, now: datetime) -> None:
    if now < info.not_before:
        raise ValueError(f"The certificate is not valid yet: it becomes valid on {_when(info.not_before)}.")
    if now > info.not_after:
        raise ValueError(f"The certificate expired on {_when(info.not_after)}.")


def _check_covers(info: CertificateInfo, domains: Iterable[str]) -> None:
    missing = [domain for domain in domains if not info.covers(domain)]
    if missing:
        covered = ", ".join(info.dns_names) or "no domain name"
        raise ValueError(f"The certificate does not cover {', '.join(missing)}; it covers {covered}.")


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    # A CN's value is always text: cryptography gives bytes only for X500UniqueIdentifier.
    return cast(str, attributes[0].value) if attributes else None


def _dns_names(certificate: x509.Certificate, common_name: str | None) -> tuple[str, ...]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        # Browsers read the CN only when there are no SANs at all (RFC 6125, 6.4.4).
        return (common_name,) if common_name else ()
    return tuple(names.get_values_for_type(x509.DNSName))


def _name_matches(name: str, domain: str) -> bool:
    if name == domain:
        return True
    # A wildcard stands for exactly one whole leftmost label, and never for all of a top-level
    # domain ("*.com"): what browsers accept.
    parent = name.removeprefix("*.")
    label, _dot, rest = domain.partition(".")
    return name.startswith("*.") and "." in parent and "*" not in parent and bool(label) and rest == parent


def _normal(name: str) -> str:
    # DNS names compare without regard to case, and "example.com." is "example.com".
    return name.rstrip(".").lower()


def _even_hex(number: int) -> str:
    digits = f"{number:X}"
    return digits.zfill(len(digits) + len(digits) % 2)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
