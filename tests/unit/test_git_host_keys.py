"""Git host keys: the shipped ones are the keys their hosts publish, and a host's presented keys
are held against its pinned ones, a change refused with both fingerprints."""

from __future__ import annotations

import asyncssh
import pytest

from brokeforge.packages.services.sites.git.host_keys import (
    HostKey,
    HostKeyChanged,
    checked_fingerprint,
    judge,
    known_hosts_lines,
    parse_known_hosts,
    parse_scan,
    pin_source,
    pinned_keys,
    shipped_keys,
)

# The SHA256 fingerprints each host publishes on its own documentation pages (see known_hosts.txt).
PUBLISHED = {
    "github.com": {
        "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
        "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    },
    "gitlab.com": {
        "SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8",
        "SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw",
        "SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ",
    },
    "bitbucket.org": {
        "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM",
        "SHA256:FC73VB6C4OQLSCrjEayhMp9UMxS97caD/Yyi2bhW/J0",
        "SHA256:46OSHA1Rmj8E8ERTC6xkNcmGOw9oFxYr0WF6zWW8l1E",
    },
}
HOST = "[git.example.net]:2222"
GITHUB_BLOB = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def key(host: str = HOST, key_type: str = "ssh-ed25519") -> HostKey:
    """A fresh key of that type, as a known_hosts line would hold it for `host`."""
    public = asyncssh.generate_private_key(key_type).export_public_key().decode().split()
    return HostKey(host, public[0], public[1])


def test_the_shipped_keys_are_the_ones_their_hosts_publish() -> None:
    shipped: dict[str, set[str]] = {}
    for host_key in shipped_keys():
        shipped.setdefault(host_key.host, set()).add(host_key.fingerprint)
    assert shipped == PUBLISHED


def test_a_site_pin_overrides_the_shipped_keys_of_its_host_only() -> None:
    accepted = key("github.com")
    assert pinned_keys("github.com", [accepted]) == [accepted]
    assert {k.host for k in pinned_keys("gitlab.com", [accepted])} == {"gitlab.com"}
    assert pinned_keys(HOST, [accepted]) == []
    assert (pin_source("github.com", []), pin_source("github.com", [accepted]), pin_source(HOST, [])) == (
        "shipped",
        "pinned",
        "",
    )


def test_the_known_hosts_file_holds_the_shipped_keys_and_the_sites_pins() -> None:
    own, github = key(), key("github.com")
    lines = known_hosts_lines([own, github])
    assert own.line in lines and github.line in lines
    assert not any(line.startswith("github.com ") and line != github.line for line in lines)
    assert sum(line.startswith("gitlab.com ") for line in lines) == 3


def test_a_host_presenting_its_pinned_key_matches() -> None:
    ed25519, rsa = key(), key(key_type="ssh-rsa")
    verdict = judge([ed25519], [rsa, ed25519])
    assert verdict.matches and verdict.presented == ed25519


def test_a_changed_key_of_a_pinned_type_is_refused_with_both_fingerprints() -> None:
    pinned_ed, pinned_rsa = key(), key(key_type="ssh-rsa")
    new_ed = key()
    verdict = judge([pinned_ed, pinned_rsa], [pinned_rsa, new_ed])  # the RSA key kept is no excuse
    assert not verdict.matches
    assert (verdict.pinned, verdict.presented) == (pinned_ed, new_ed)
    message = str(HostKeyChanged(HOST, verdict.pinned.fingerprint, verdict.presented.fingerprint))
    assert pinned_ed.fingerprint in message and new_ed.fingerprint in message


def test_a_host_offering_only_types_nobody_pinned_is_refused() -> None:
    pinned, other = key(), key(key_type="ecdsa-sha2-nistp256")
    verdict = judge([pinned], [other])
    assert not verdict.matches and (verdict.pinned, verdict.presented) == (pinned, other)


def test_keyscan_output_keeps_only_keys_of_pinned_types_named_for_the_host() -> None:
    ed25519 = key("[10.0.0.5]:2222")
    output = (
        "# 10.0.0.5:2222 SSH-2.0-OpenSSH_9.2p1\n"
        f"[10.0.0.5]:2222 {ed25519.public_key}\n"
        "[10.0.0.5]:2222 ssh-dss AAAAB3NzaC1kc3MAAACBAP\n"
        "[10.0.0.5]:2222 ssh-ed25519 not-base64!\n"
        f"[10.0.0.5]:2222 ssh-rsa {ed25519.blob}\n"  # a blob of another type than it says
    )
    assert parse_scan(output, HOST) == [ed25519.for_host(HOST)]


@pytest.mark.parametrize(
    "line",
    [
        "host",
        "@cert-authority *.example.com ssh-ed25519 AAAA",
        f"|1|c2FsdA==|aGFzaA== ssh-ed25519 {GITHUB_BLOB}",
        f"*.example.com ssh-ed25519 {GITHUB_BLOB}",
        "host ssh-dss AAAAB3NzaC1kc3M=",
        "host ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkV",
        f"host ssh-rsa {GITHUB_BLOB}",
    ],
)
def test_lines_that_are_not_one_plain_key_are_refused(line: str) -> None:
    with pytest.raises(ValueError):
        HostKey.parse(line)


def test_known_hosts_text_round_trips() -> None:
    keys = [key(), key("github.com", "ecdsa-sha2-nistp256")]
    text = "# pinned by BrokeForge\n\n" + "".join(f"{k.line}\n" for k in keys)
    assert parse_known_hosts(text) == keys


@pytest.mark.parametrize(
    "value", ["", "SHA256:short", "MD5:16:27:ac:a5", "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU\nx"]
)
def test_a_fingerprint_to_accept_must_look_like_one(value: str) -> None:
    with pytest.raises(ValueError, match="not a host key fingerprint"):
        checked_fingerprint(value)
    assert checked_fingerprint(" SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU ").startswith("SHA256:+D")
