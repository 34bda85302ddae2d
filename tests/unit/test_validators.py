"""brokeforge/lib/validators.py: every value a user gives is cleaned or refused with a clear message."""

import pytest

from brokeforge.lib import validators


@pytest.mark.parametrize(("value", "clean"), [("web-1", "web-1"), ("  My server 2.0_b ", "My server 2.0_b")])
def test_server_name_accepts_and_strips(value: str, clean: str) -> None:
    assert validators.server_name(value) == clean


@pytest.mark.parametrize(
    "value", ["", "   ", "-web", ".web", "web;reboot", "web/1", "wéb", "web\n1", "a" * 64, "<script>"]
)
def test_server_name_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="Name must be 1-63 characters"):
        validators.server_name(value)


def test_server_name_length_limit_is_63() -> None:
    assert validators.server_name("a" * 63) == "a" * 63


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("203.0.113.10", "203.0.113.10"),
        (" 198.51.100.1 ", "198.51.100.1"),
        ("2001:DB8::0001", "2001:db8::1"),
        ("::ffff:203.0.113.10", "203.0.113.10"),
    ],
)
def test_public_ip_accepts_and_normalises(value: str, clean: str) -> None:
    assert validators.public_ip(value) == clean


@pytest.mark.parametrize("value", ["abc", "999.1.1.1", "203.0.113", "203.0.113.10/24", "", "example.com"])
def test_public_ip_rejects_what_is_not_an_address(value: str) -> None:
    with pytest.raises(ValueError, match="is not a valid IPv4 or IPv6 address"):
        validators.public_ip(value)


@pytest.mark.parametrize(
    "value",
    ["127.0.0.1", "127.8.9.10", "::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "::ffff:127.0.0.1"],  # noqa: S104
)
def test_public_ip_rejects_loopback_unspecified_and_multicast(value: str) -> None:
    with pytest.raises(ValueError, match="cannot be a server address"):
        validators.public_ip(value)


@pytest.mark.parametrize(
    "value", ["169.254.169.254", "169.254.0.1", "fe80::1", "FE80::a:b", "::ffff:169.254.169.254"]
)
def test_public_ip_rejects_link_local_and_metadata_addresses(value: str) -> None:
    with pytest.raises(ValueError, match=r"link-local or cloud metadata.*BROKEFORGE_ALLOW_LOCAL_ADDRESSES"):
        validators.public_ip(value)


@pytest.mark.parametrize(
    ("value", "clean"), [("169.254.10.2", "169.254.10.2"), ("127.0.0.1", "127.0.0.1"), ("FE80::1", "fe80::1")]
)
def test_a_setting_allows_local_addresses(settings: object, value: str, clean: str) -> None:
    settings.ALLOW_LOCAL_ADDRESSES = True  # type: ignore[attr-defined]
    assert validators.public_ip(value) == clean


@pytest.mark.parametrize("value", ["10.0.0.5", "192.168.1.20", "172.16.0.1", "fd00::5", "100.64.0.1"])
def test_private_ranges_stay_allowed(value: str) -> None:
    assert validators.public_ip(value) == value


@pytest.mark.parametrize("value", ["fe80::1%eth0", "2001:db8::1%1", "fe80::1%25eth0"])
def test_ipv6_zone_ids_are_refused(value: str, settings: object) -> None:
    settings.ALLOW_LOCAL_ADDRESSES = True  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="zone IDs"):
        validators.public_ip(value)


@pytest.mark.parametrize(("value", "port"), [(22, 22), ("2222", 2222), (" 80 ", 80), (1, 1), (65535, 65535)])
def test_ssh_port_accepts(value: int | str, port: int) -> None:
    assert validators.ssh_port(value) == port


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "SSH port must be between 1 and 65535, got 0."),
        (65536, "SSH port must be between 1 and 65535, got 65536."),
        (-22, "SSH port must be between 1 and 65535, got -22."),
        ("abc", "SSH port must be a number, got 'abc'."),
        ("22.5", "SSH port must be a number, got '22.5'."),
        ("", "SSH port must be a number, got ''."),
        (None, "SSH port must be a number, got None."),
        ("+22", "SSH port must be a number, got '+22'."),
        ("2_2", "SSH port must be a number, got '2_2'."),
        ("0x16", "SSH port must be a number, got '0x16'."),
        ("\u0662\u0662", "SSH port must be a number, got '\u0662\u0662'."),
        ("22\n22", "SSH port must be a number, got '22\\n22'."),
        (True, "SSH port must be a number, got True."),
        (22.0, "SSH port must be a number, got 22.0."),
    ],
)
def test_ssh_port_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        validators.ssh_port(value)  # type: ignore[arg-type]
    assert str(raised.value) == message
