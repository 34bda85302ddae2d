"""`brokeforge firewall ...`: a server's firewall rules, each added or deleted by its own job."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions import firewall as firewall_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import report_job
from brokeforge.cli.main import needs_database
from brokeforge.cli.servers import get_server
from brokeforge.servers.models import ServerPackage


def rule_dict(rule: ServerPackage) -> dict[str, Any]:
    return {"id": rule.pk, "rule": rule.instance, "status": rule.status, **rule.configuration}


@click.group()
def firewall() -> None:
    """Firewall rules of a server (ufw)."""


@firewall.command("list")
@click.argument("server_id", metavar="SERVER_ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def list_rules(server_id: int, as_json: bool) -> None:
    """The rules the panel has recorded on a server."""
    rules = list(firewall_actions.rules(get_server(server_id)))
    if as_json:
        output.print_json([rule_dict(rule) for rule in rules])
        return
    table = Table("ID", "Rule", "Name", "Status")
    for rule in rules:
        table.add_row(
            str(rule.pk),
            rule.instance,
            rule.configuration.get("name", ""),
            output.status_text(rule.status),
        )
    output.console().print(table)


@firewall.command("delete")
@click.argument("rule_id", metavar="RULE_ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the job until it ends.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@needs_database
def delete_rule(rule_id: int, wait: bool, as_json: bool) -> None:
    """Delete one rule from its server (the SSH rule the panel uses cannot be deleted)."""
    rule = output.find(ServerPackage.objects.select_related("server"), rule_id, "firewall rule", "RULE_ID")
    try:
        job = firewall_actions.delete_rule(rule, rule.server.owner)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_job(job, wait, as_json)
