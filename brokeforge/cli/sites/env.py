"""`brokeforge sites env SITE_ID`: a site's environment file (shared/.env), values masked unless
--reveal; --set FILE writes it whole, --var/--unset change single variables, --undo goes back to
the previous version."""

from __future__ import annotations

from typing import Any, BinaryIO

import click

from brokeforge.actions import ActionError
from brokeforge.actions.sites import env as env_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import report_job
from brokeforge.cli.main import needs_database
from brokeforge.cli.sites import get_site, sites
from brokeforge.jobs.models import Job
from brokeforge.packages.services.sites.env.dotenv import DotenvError
from brokeforge.sites.models import Site


@sites.command("env")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--reveal", is_flag=True, help="Show the values (masked otherwise); prints the file as it is.")
@click.option(
    "--set", "new_file", type=click.File("rb"), help="Write this file as the site's .env (- : stdin)."
)
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a variable, quoted so Laravel reads exactly VALUE (repeatable; the rest stays).",
)
@click.option("--unset", multiple=True, metavar="NAME", help="Remove a variable (repeatable).")
@click.option("--undo", is_flag=True, help="Go back to the version the last change replaced.")
@click.option("--wait", is_flag=True, help="With a change: follow its job (exit 1 if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def env(
    site_id: int,
    reveal: bool,
    new_file: BinaryIO | None,
    variables: tuple[str, ...],
    unset: tuple[str, ...],
    undo: bool,
    wait: bool,
    as_json: bool,
) -> None:
    """Show or change a site's .env (shared/.env, read and written as the site user).

    Values on the command line (--var) are seen by other users of this machine: put secrets in
    a file and use --set, or `--set -` to read it from stdin.
    """
    site = get_site(site_id)
    changes = {**dict(_assignment(text) for text in variables), **dict.fromkeys(unset)}
    if sum(map(bool, (new_file, changes, undo))) > 1:
        raise click.UsageError("Give one of --set, --var/--unset and --undo.")
    try:
        job = _change(site, new_file, changes, undo)
        if job is None:
            _show(env_actions.read_env(site), site, reveal, as_json)
            return
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_job(job, wait, as_json)


def _change(site: Site, new_file: BinaryIO | None, changes: dict[str, str | None], undo: bool) -> Job | None:
    """The job of the change asked for, if one was."""
    user = site.server.owner
    if undo:
        return env_actions.undo_env(site, user)
    if changes:
        return env_actions.set_variables(site, changes, user)
    if new_file is not None:
        try:
            content = new_file.read().decode()
        except UnicodeDecodeError:
            raise click.BadParameter("the file is not UTF-8 text.", param_hint="--set") from None
        return env_actions.write_env(site, content, user)
    return None


def _assignment(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals:
        raise click.BadParameter(f"{text!r} is not NAME=VALUE.", param_hint="--var")
    return name, value


def _show(env_file: env_actions.EnvFile, site: Site, reveal: bool, as_json: bool) -> None:
    try:
        variables, error = env_file.variables, None
    except DotenvError as exc:
        variables, error = [], str(exc)
    if as_json:
        data: dict[str, Any] = {
            "site_id": site.pk,
            "path": env_file.path,
            "exists": env_file.exists,
            "has_previous": env_file.has_previous,
            "revealed": reveal,
            "variables": [
                {"name": v.key, "value": v.value if reveal else env_actions.masked(v.value), "line": v.line}
                for v in variables
            ],
            "error": error,
        }
        output.print_json(data | ({"content": env_file.content} if reveal else {}))
    elif reveal:
        click.echo(env_file.content, nl=False)  # exactly the file: `> .env` gives it back
    else:
        out = output.console()
        if not env_file.exists:
            out.print(f"{site.domain} has no .env yet.")
        for variable in variables:
            out.print(f"{variable.key}={env_actions.masked(variable.value) or ''}")
        if error:
            out.print(output.text(("The file is not as Laravel reads it: ", "red"), error))
        if env_file.exists:
            out.print(output.text(("Values are masked: --reveal shows them.", "dim")))
