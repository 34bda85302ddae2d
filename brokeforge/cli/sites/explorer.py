"""`brokeforge sites files SITE_ID ls|cat|write`: a site's files, read and written as the site's
own user, inside the site's directory only. A refused path exits non-zero with the reason."""

from __future__ import annotations

import sys
from typing import BinaryIO

import click
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions.sites import explorer as explorer_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import report_job
from brokeforge.cli.main import needs_database
from brokeforge.cli.sites import get_site, sites
from brokeforge.packages.services.sites.explorer.listing import Entry


def _name(entry: Entry) -> str:
    # A newline in a name would break the table's row: shown escaped, like every control character.
    name = entry.name.replace("\n", "\\n")
    return f"{name} -> {entry.target}" if entry.target is not None else name


@sites.group("files")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.pass_context
def files(ctx: click.Context, site_id: int) -> None:
    """A site's files, as the site user: `sites files 3 ls current/public`.

    Paths are relative to the site's directory (absolute paths inside it work too); whatever
    leads outside it (`..`, symlinks, other absolute paths) is refused.
    """
    ctx.obj = site_id


@files.command("ls")
@click.argument("path", default=".")
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@click.pass_obj
@needs_database
def list_files(site_id: int, path: str, as_json: bool) -> None:
    """List a directory of the site (default: the site's directory)."""
    try:
        listing = explorer_actions.list_directory(get_site(site_id), path)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        output.print_json(listing.as_dict())
        return
    table = Table("Type", "Permissions", "Owner", "Size", "Modified", "Name", title=f"/{listing.path}")
    for entry in listing.entries:
        table.add_row(
            entry.kind,
            entry.permissions,
            entry.owner,
            str(entry.size),
            output.when(entry.modified),
            _name(entry),
        )
    output.console().print(table)
    if listing.truncated:
        output.error_console().print(f"Only the first {len(listing.entries)} entries are shown.")


@files.command("cat")
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="Print the file and its details as JSON.")
@click.pass_obj
@needs_database
def cat(site_id: int, path: str, as_json: bool) -> None:
    """Print a file of the site (up to 1 MiB)."""
    try:
        content = explorer_actions.read_file(get_site(site_id), path)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        output.print_json(content.as_dict())
    elif sys.stdout.isatty():
        # On a terminal, bytes from the server must not act on it: control characters escaped.
        click.echo(output.printable(content.data.decode("utf-8", "replace")), nl=False)
    else:
        sys.stdout.buffer.write(content.data)  # exactly the file, for scripts


@files.command("write")
@click.argument("path")
@click.option(
    "--from", "source", type=click.File("rb"), required=True, help="The new contents (- for stdin)."
)
@click.option("--wait", is_flag=True, help="Follow the job until the file is written (exit 1 if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.pass_obj
@needs_database
def write(site_id: int, path: str, source: BinaryIO, wait: bool, as_json: bool) -> None:
    """Write a text file of the site as the site user (up to 1 MiB).

    A new file, or a text file the site already has (it keeps its mode); through a job,
    journalled. Nothing is queued when the path or the file there is refused.
    """
    site = get_site(site_id)
    try:
        job = explorer_actions.write_file(site, path, source.read(), site.server.owner)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_job(job, wait, as_json)
