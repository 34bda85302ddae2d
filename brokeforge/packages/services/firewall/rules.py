"""Firewall rules as data: validation, the ufw command for one, and parsing `ufw status`."""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from typing import Any

from brokeforge.lib.validators import port as valid_port

_COMMENT_RE = re.compile(r"^[A-Za-z0-9 ._-]{0,60}$")
_SPLIT_RE = re.compile(r"\s{2,}")


@dataclass(frozen=True)
class FirewallRule:
    port: int
    name: str = ""
    rule_type: str = "allow"  # allow | deny
    protocol: str = "tcp"  # tcp | udp
    from_ip_address: str | None = None

    @classmethod
    def validated(
        cls,
        port: int | str,
        name: str = "",
        rule_type: str = "allow",
        protocol: str = "tcp",
        from_ip_address: str | None = None,
    ) -> FirewallRule:
        if rule_type not in ("allow", "deny"):
            raise ValueError(f"Rule type must be allow or deny, got {rule_type!r}.")
        if protocol not in ("tcp", "udp"):
            raise ValueError(f"Protocol must be tcp or udp, got {protocol!r}.")
        if not _COMMENT_RE.fullmatch(name):
            raise ValueError("Rule name: up to 60 letters, digits, spaces, dots, dashes, underscores.")
        source = None
        if from_ip_address:
            try:
                source = str(ipaddress.ip_network(from_ip_address, strict=False))
            except ValueError:
                raise ValueError(f"{from_ip_address!r} is not an IP address or network.") from None
        return cls(valid_port(port), name, rule_type, protocol, source)

    @classmethod
    def from_configuration(cls, configuration: dict[str, Any]) -> FirewallRule:
        """The rule an inventory row records (see `configuration`), validated again."""
        return cls.validated(
            configuration["port"],
            configuration.get("name", ""),
            configuration.get("rule_type", "allow"),
            configuration.get("protocol", "tcp"),
            configuration.get("from_ip_address"),
        )

    @property
    def key(self) -> str:
        """What tells this rule from the server's others: its inventory row's instance."""
        return f"{self.rule_type} {self.port}/{self.protocol} from {self.from_ip_address or 'any'}"

    def configuration(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "name": self.name,
            "rule_type": self.rule_type,
            "protocol": self.protocol,
            "from_ip_address": self.from_ip_address,
        }

    def _spec(self) -> str:
        source = self.from_ip_address or "any"
        return f"{self.rule_type} proto {self.protocol} from {shlex.quote(source)} to any port {self.port}"

    def ufw_command(self) -> str:
        command = f"ufw {self._spec()}"
        return f"{command} comment {shlex.quote(self.name)}" if self.name else command

    def ufw_delete_command(self) -> str:
        # ufw finds the rule by its spec; the comment is not part of it.
        return f"ufw delete {self._spec()}"


def parse_ufw_status(output: str) -> dict[str, Any]:
    """{"active": bool, "rules": [{"to", "action", "from", "comment"}]} from `ufw status`."""
    lines = output.splitlines()
    active = any(line.strip() == "Status: active" for line in lines)
    rules = []
    in_table = False
    for line in lines:
        if line.startswith("--"):
            in_table = True
            continue
        if not in_table or not line.strip():
            continue
        body, _, comment = line.partition("#")
        columns = _SPLIT_RE.split(body.strip())
        if len(columns) >= 3:
            rules.append(
                {
                    "to": columns[0],
                    "action": columns[1],
                    "from": columns[2],
                    "comment": comment.strip(),
                }
            )
    return {"active": active, "rules": rules}
