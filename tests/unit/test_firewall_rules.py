"""brokeforge/packages/services/firewall/rules.py: validation, ufw commands, `ufw status` parsing."""

import pytest

from brokeforge.packages.services.firewall.rules import FirewallRule, parse_ufw_status


def test_validated_cleans_its_input() -> None:
    rule = FirewallRule.validated("443", "HTTPS", "allow", "tcp", "192.0.2.77/24")
    assert rule == FirewallRule(443, "HTTPS", "allow", "tcp", "192.0.2.0/24")


def test_a_single_address_becomes_a_host_network() -> None:
    assert FirewallRule.validated(22, from_ip_address="198.51.100.7").from_ip_address == "198.51.100.7/32"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0,), "Port must be between 1 and 65535, got 0."),
        ((65536,), "Port must be between 1 and 65535, got 65536."),
        (("abc",), "Port must be a number, got 'abc'."),
        ((80, "", "reject"), "Rule type must be allow or deny, got 'reject'."),
        ((80, "", "allow", "icmp"), "Protocol must be tcp or udp, got 'icmp'."),
        ((80, "web; reboot"), "Rule name: up to 60 letters, digits, spaces, dots, dashes, underscores."),
        ((80, "HTTP\n"), "Rule name: up to 60 letters"),
        ((80, "x" * 61), "Rule name: up to 60 letters"),
        ((80, "HTTP", "allow", "tcp", "10.0.0.300"), "'10.0.0.300' is not an IP address or network."),
        ((80, "HTTP", "allow", "tcp", "any; reboot"), "'any; reboot' is not an IP address or network."),
    ],
)
def test_validated_rejects_bad_input_clearly(arguments: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        FirewallRule.validated(*arguments)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def test_a_bad_rule_port_is_not_called_an_ssh_port() -> None:
    with pytest.raises(ValueError) as raised:
        FirewallRule.validated(99999, "HTTP")
    assert "SSH" not in str(raised.value)


@pytest.mark.parametrize(
    ("rule", "command"),
    [
        (FirewallRule(80, "HTTP"), "ufw allow proto tcp from any to any port 80 comment HTTP"),
        (FirewallRule(53, "", "allow", "udp"), "ufw allow proto udp from any to any port 53"),
        (
            FirewallRule(3306, "MySQL from app", "deny", "tcp", "10.0.0.0/8"),
            "ufw deny proto tcp from 10.0.0.0/8 to any port 3306 comment 'MySQL from app'",
        ),
    ],
)
def test_ufw_command(rule: FirewallRule, command: str) -> None:
    assert rule.ufw_command() == command


UFW_STATUS = """\
Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       Anywhere                   # SSH
80/tcp                     ALLOW       Anywhere                   # HTTP
3306/tcp                   DENY        10.0.0.0/8
5353/udp                   ALLOW       192.168.1.0/24             # mDNS on the LAN
22/tcp (v6)                ALLOW       Anywhere (v6)              # SSH
80/tcp (v6)                ALLOW       Anywhere (v6)              # HTTP

"""


def test_parse_ufw_status() -> None:
    assert parse_ufw_status(UFW_STATUS) == {
        "active": True,
        "rules": [
            {"to": "22/tcp", "action": "ALLOW", "from": "Anywhere", "comment": "SSH"},
            {"to": "80/tcp", "action": "ALLOW", "from": "Anywhere", "comment": "HTTP"},
            {"to": "3306/tcp", "action": "DENY", "from": "10.0.0.0/8", "comment": ""},
            {"to": "5353/udp", "action": "ALLOW", "from": "192.168.1.0/24", "comment": "mDNS on the LAN"},
            {"to": "22/tcp (v6)", "action": "ALLOW", "from": "Anywhere (v6)", "comment": "SSH"},
            {"to": "80/tcp (v6)", "action": "ALLOW", "from": "Anywhere (v6)", "comment": "HTTP"},
        ],
    }


def test_parse_ufw_status_inactive() -> None:
    assert parse_ufw_status("Status: inactive\n") == {"active": False, "rules": []}
