"""`brokeforge sites logs SITE_ID`: the last lines of a site's log, or the log followed live."""

from __future__ import annotations

import json
import sys

import click

from brokeforge.actions import ActionError
from brokeforge.actions.sites import logs as log_actions
from brokeforge.cli import output
from brokeforge.cli.main import needs_database
from brokeforge.cli.sites import get_site, sites
from brokeforge.packages.services.sites.logs.reader import (
    DEFAULT_LINES,
    MAX_FOLLOW_SECONDS,
    MAX_LINES,
    LogKind,
)
from brokeforge.sites.models import Site

FOLLOW_SECONDS = 600


class LinePrinter:
    """Log output as it comes, printed line by line: as text that cannot act on the terminal,
    or (--json) as one JSON object per line."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.partial = ""

    def __call__(self, chunk: str) -> None:
        *lines, self.partial = (self.partial + chunk).split("\n")
        for line in lines:
            self.print(line)

    def print(self, line: str) -> None:
        click.echo(json.dumps({"line": line}) if self.as_json else output.printable(line))
        sys.stdout.flush()

    def finish(self) -> None:
        if self.partial:
            self.print(self.partial)


@sites.command("logs")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--kind", type=click.Choice(LogKind.values), default=LogKind.ACCESS.value, show_default=True)
@click.option("--lines", type=click.IntRange(1, MAX_LINES), default=DEFAULT_LINES, show_default=True)
@click.option("--follow", is_flag=True, help="Go on printing new lines as they are written.")
@click.option(
    "--seconds",
    type=click.IntRange(1, MAX_FOLLOW_SECONDS),
    default=FOLLOW_SECONDS,
    show_default=True,
    help="With --follow: stop after this long.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with --follow: one object per line).")
@needs_database
def logs(site_id: int, kind: str, lines: int, follow: bool, seconds: int, as_json: bool) -> None:
    """A site's log: Nginx's access or error log, its PHP-FPM pool's, or its application's
    (Laravel: the newest storage/logs/*.log of the live release)."""
    site = get_site(site_id)
    try:
        if follow:
            _follow(site, kind, lines, seconds, as_json)
            return
        tail = log_actions.read_log(site, kind, lines)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        output.print_json({"site_id": site.pk, **tail.as_dict()})
    elif not tail.exists:
        output.error_console().print(f"{tail.path} does not exist yet: nothing was logged there.")
    else:
        click.echo(output.printable(tail.text), nl=False)


def _follow(site: Site, kind: str, lines: int, seconds: int, as_json: bool) -> None:
    printer = LinePrinter(as_json)
    try:
        log_actions.follow_log(site, kind, lines, seconds, printer, keep_going=lambda: True)
    except KeyboardInterrupt:
        sys.exit(130)  # Ctrl-C: the followed command's channel is closed on the way out
    finally:
        printer.finish()
