"""What the panel shows of a certificate is parsed from one read on the server (read.sh.j2): the
file, what port 443 serves, and what certbot's renewals left. Parsed here from captured output."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from brokeforge.packages.services.sites.ssl.reading import Reading

NAME = "shop.example.com-7"
NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def _pem(common_name: str, days: int = 30) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(NOW)
        .not_valid_after(NOW + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _output(file: str, served: str, renewed: str = "", status: str = "", log: str = "") -> str:
    return (
        f"== file\n{file}== served\n{served}== renewed\n{renewed}== renew status\n{status}== renew log\n{log}"
    )


def test_the_file_and_what_is_served_are_read_separately() -> None:
    live, other = _pem("shop.example.com", 60), _pem("shop.example.com", 5)
    reading = Reading.parse(_output(live, other), NAME)
    assert reading.file is not None and reading.served is not None
    assert reading.file.dns_names == ("shop.example.com",)
    assert reading.file.not_after == NOW + datetime.timedelta(days=60)
    assert reading.served.not_after == NOW + datetime.timedelta(days=5)
    assert reading.file.fingerprint_sha256 != reading.served.fingerprint_sha256


def test_a_missing_file_and_a_refused_handshake_are_reported_in_their_own_words() -> None:
    output = _output(
        "cat: /etc/letsencrypt/live/x/fullchain.pem: No such file or directory\n",
        "error: 40F7A1E5:error:0A000458:SSL routines::tlsv1 unrecognized name\n",
    )
    reading = Reading.parse(output, NAME)
    assert reading.file is None and "No such file" in reading.file_error
    assert reading.served is None and "unrecognized name" in reading.served_error


def test_a_renewal_seen_by_the_deploy_hook() -> None:
    reading = Reading.parse(_output(_pem("a.test"), _pem("a.test"), "at=1795000000\nreload=ok\n"), NAME)
    assert reading.renewed_at == datetime.datetime.fromtimestamp(1795000000, datetime.UTC)
    assert reading.renewal_problem() == ""


def test_a_renewal_nginx_refused_to_reload_is_a_problem() -> None:
    reading = Reading.parse(_output(_pem("a.test"), _pem("a.test"), "at=1795000000\nreload=refused\n"), NAME)
    assert "Nginx refused" in reading.renewal_problem()


FAILED_LOG = f"""\
Processing /etc/letsencrypt/renewal/{NAME}.conf
- - - - - - - - - - - - - - - - - - - -
Renewing an existing certificate for shop.example.com and www.shop.example.com
Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority \
reported these problems:
  Domain: www.shop.example.com
  Type:   connection
  Detail: could not resolve URL "http://www.shop.example.com:80/.well-known/acme-challenge/x"

Hint: The Certificate Authority failed to download the temporary challenge files created by Certbot.
Failed to renew certificate {NAME} with error: Some challenges have failed.
- - - - - - - - - - - - - - - - - - - -
Processing /etc/letsencrypt/renewal/{NAME}1.conf
- - - - - - - - - - - - - - - - - - - -
Certificate not yet due for renewal
All renewals failed. The following certificates could not be renewed:
  /etc/letsencrypt/live/{NAME}/fullchain.pem (failure)
"""


def test_the_timers_last_run_failing_for_this_certificate_is_flagged() -> None:
    reading = Reading.parse(
        _output(_pem("a.test"), _pem("a.test"), "", "exit=1\nat=1795000100\n", FAILED_LOG), NAME
    )
    problem = reading.renewal_problem().splitlines()
    # certbot's line, then the ACME server's problems from this certificate's own section.
    assert problem[0] == f"Failed to renew certificate {NAME} with error: Some challenges have failed."
    assert "  Domain: www.shop.example.com" in problem
    assert problem[-1].startswith("  Detail: could not resolve URL")


def test_another_certificates_failure_is_not_this_ones() -> None:
    reading = Reading.parse(
        _output(_pem("a.test"), _pem("a.test"), "", "exit=1\nat=1795000100\n", FAILED_LOG),
        "shop.example.com-71",
    )
    assert reading.renewal_problem() == ""


def test_a_renewal_after_the_failed_run_clears_the_flag() -> None:
    renewed_later = "at=1795000200\nreload=ok\n"
    output = _output(_pem("a.test"), _pem("a.test"), renewed_later, "exit=1\nat=1795000100\n", FAILED_LOG)
    assert Reading.parse(output, NAME).renewal_problem() == ""
