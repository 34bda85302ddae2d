"""`brokeforge servers ...`: add, list, inspect, verify, provision and delete servers; accept a
changed host key and read the host-key history."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from django.contrib.auth import get_user_model
from django.db import close_old_connections
from rich.table import Table
from rich.text import Text

from brokeforge.actions import ActionError
from brokeforge.actions import servers as server_actions
from brokeforge.actions.scope import user_host_key_events
from brokeforge.cli import output
from brokeforge.cli.jobs import job_dict
from brokeforge.cli.main import needs_database
from brokeforge.cli.watch import POLL_SECONDS, NoWorkerHint, watch_job
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import ConnectionStatus, ProvisionStatus, ProvisionStep
from brokeforge.servers.models import HostKeyEvent, Server


def server_dict(server: Server) -> dict[str, Any]:
    return {
        "id": server.pk,
        "name": server.name,
        "owner": server.owner.get_username(),
        "public_ip": server.public_ip,
        "ssh_port": server.ssh_port,
        "php_version": server.php_version,
        "connection_status": server.connection_status,
        "connection_error": server.connection_error,
        "provision_status": server.provision_status,
        "provision_progress": server.provision_progress(),
        "os_name": server.os_name,
        "os_version": server.os_version,
        "host_key_fingerprint": server.host_key_fingerprint,
        "created_at": server.created_at,
    }


def server_details(server: Server) -> dict[str, Any]:
    latest = server.jobs.order_by("-id").first()
    return {
        **server_dict(server),
        "last_connected_at": server.last_connected_at,
        "presented_host_key_fingerprint": server.presented_host_key_fingerprint,
        "provision_steps": server.provision_steps(),
        "packages": [
            {
                "type": package.package_type,
                "name": package.package_name,
                "version": package.package_version,
                "configuration": package.configuration,
            }
            for package in server.packages.all()
        ],
        "latest_job": job_dict(latest) if latest else None,
        "connect_command": server_actions.server_connect_command(server),
    }


def get_server(server_id: int) -> Server:
    return output.find(Server.objects.select_related("owner"), server_id, "server", "ID")


def resolve_owner(username: str | None) -> Any:
    users = get_user_model().objects
    if username is not None:
        owner = users.filter(username=username).first()
        if owner is None:
            raise click.BadParameter(f"There is no user {username!r}.", param_hint="--owner")
        return owner
    owner = users.filter(is_superuser=True).order_by("id").first()
    if owner is None:
        raise click.UsageError(
            "There is no admin user to own the server. Pass --owner USERNAME, or run "
            "`brokeforge serve` once to create the first admin."
        )
    return owner


def action_error(exc: ActionError) -> click.UsageError:
    return click.UsageError(str(exc))


@click.group()
def servers() -> None:
    """The servers the panel manages."""


@servers.command("add")
@click.option("--name", required=True, help="A name for the server.")
@click.option("--ip", "public_ip", required=True, help="Its public IPv4 or IPv6 address.")
@click.option("--port", default="22", show_default=True, help="Its SSH port.")
@click.option("--php", default="8.2", show_default=True, help="The PHP version to install.")
@click.option("--owner", help="Username of the owner (default: the first admin).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def add(name: str, public_ip: str, port: str, php: str, owner: str | None, as_json: bool) -> None:
    """Add a server, and print the command to run on it as root."""
    # The port stays a string here so the shared validator words the error, as in the web form.
    try:
        server = server_actions.add_server(resolve_owner(owner), name, public_ip, port, php)
    except ActionError as exc:
        raise action_error(exc) from None
    command = server_actions.server_connect_command(server)
    if as_json:
        output.print_json({**server_dict(server), "connect_command": command})
        return
    out = output.console()
    out.print(
        output.text("Added server ", (f"#{server.pk}", "bold"), f" {server.name} ({server.public_ip}).")
    )
    out.print(f"Run this on the server as root, then `brokeforge servers verify {server.pk}`:")
    out.print(command, soft_wrap=True)


@servers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def list_servers(as_json: bool) -> None:
    """List all servers."""
    rows = list(Server.objects.select_related("owner").order_by("id"))
    if as_json:
        output.print_json([server_dict(server) for server in rows])
        return
    table = Table("ID", "Name", "Address", "Owner", "Connection", "Provisioning", "OS")
    for server in rows:
        table.add_row(
            str(server.pk),
            server.name,
            f"{server.public_ip}:{server.ssh_port}",
            server.owner.get_username(),
            output.status_text(server.connection_status),
            output.text(output.status_text(server.provision_status), f" {server.provision_progress()}%"),
            f"{server.os_name} {server.os_version}".strip() or "-",
        )
    output.console().print(table)


@servers.command("show")
@click.argument("server_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def show(server_id: int, as_json: bool) -> None:
    """Show a server: connection, host key, provisioning, installed packages, latest job."""
    details = server_details(get_server(server_id))
    if as_json:
        output.print_json(details)
        return
    print_details(details)


def print_details(details: dict[str, Any]) -> None:
    out = output.console()
    out.print(
        output.text(
            (f"#{details['id']} {details['name']}", "bold"), f" {details['public_ip']}:{details['ssh_port']}"
        )
    )
    out.print(f"owner {details['owner']}, PHP {details['php_version']}")
    out.print(
        output.text(
            "connection: ",
            output.status_text(details["connection_status"]),
            f" {details['connection_error']}",
        )
    )
    out.print(f"OS: {details['os_name']} {details['os_version']}".rstrip())
    out.print(f"host key: {details['host_key_fingerprint'] or 'not pinned yet'}")
    if details["presented_host_key_fingerprint"]:
        # Unwrapped: a fingerprint or command broken over lines cannot be compared or pasted.
        out.print(
            output.text(
                ("presented a different host key: ", "red"), details["presented_host_key_fingerprint"]
            ),
            soft_wrap=True,
        )
        out.print(
            "If it is one the server itself lists (the connect command prints them), accept it with "
            f"`brokeforge servers accept-host-key {details['id']} "
            f"--fingerprint {details['presented_host_key_fingerprint']}`.",
            soft_wrap=True,
        )
    out.print(
        output.text(
            "provisioning: ",
            output.status_text(details["provision_status"]),
            f" {details['provision_progress']}%",
        )
    )
    for step in details["provision_steps"]:
        out.print(output.text(f"  {step['step']}. {step['label']}: ", output.status_text(step["status"])))
    packages = Table("Type", "Name", "Version", "Configuration", title="Installed packages")
    for package in details["packages"]:
        packages.add_row(package["type"], package["name"], package["version"], str(package["configuration"]))
    out.print(packages)
    if job := details["latest_job"]:
        out.print(
            output.text(f"latest job: #{job['id']} {job['label']}: ", output.status_text(job["status"]))
        )


@servers.command("verify")
@click.argument("server_id", metavar="ID", type=int)
@click.option(
    "--root-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A root private key (PEM) to authorise the panel's keys with; used once, never stored.",
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the connection check.")
@needs_database
def verify(server_id: int, root_key: Path | None, wait: bool) -> None:
    """Connect to a server: pin its host key, read its OS, and start provisioning."""
    server = get_server(server_id)
    if root_key is not None:
        try:
            authorize = server_actions.authorize_with_root_key(server, root_key.read_text(), server.owner)
        except queue.ServerBusy as busy:
            raise click.ClickException(f"{server.name} is busy: {busy}.") from None
        if authorize.status != JobStatus.SUCCEEDED:
            raise click.ClickException(f"Authorising the panel's keys failed: {authorize.error}")
    try:
        job = server_actions.provision(server, server.owner)
    except ActionError as exc:
        raise action_error(exc) from None
    output.console().print(f"Provisioning job #{job.pk} queued; step 1 checks the connection.")
    if not wait:
        return
    wait_for_connect_step(server, job)
    out = output.console()
    if server.provision.get(str(ProvisionStep.CONNECT.value)) != ProvisionStatus.COMPLETED:
        error = server.connection_error or job.error or f"job #{job.pk} is {job.status}"
        out.print(f"Could not connect to {server.name}: {error}")
        sys.exit(1)
    out.print(output.text(output.status_text(ConnectionStatus.CONNECTED.value), f" to {server.name}"))
    out.print(f"host key: {server.host_key_fingerprint}")
    out.print(f"OS: {server.os_name} {server.os_version}")


def wait_for_connect_step(server: Server, job: Job) -> None:
    """Provisioning goes on after step 1; verify only waits for that step (or the job's end)."""
    step = str(ProvisionStep.CONNECT.value)
    done = (ProvisionStatus.COMPLETED, ProvisionStatus.FAILED)
    hint = NoWorkerHint(job)
    while True:
        close_old_connections()
        server.refresh_from_db()
        job.refresh_from_db()
        if server.provision.get(step) in done or not job.is_active:
            return
        hint.check()
        time.sleep(POLL_SECONDS)


@servers.command("provision")
@click.argument("server_id", metavar="ID", type=int)
@click.option("--wait", is_flag=True, help="Follow provisioning until it ends.")
@needs_database
def provision(server_id: int, wait: bool) -> None:
    """Provision a server (or show the provisioning already under way)."""
    server = get_server(server_id)
    try:
        job = server_actions.provision(server, server.owner)
    except ActionError as exc:
        raise action_error(exc) from None
    output.console().print(
        output.text(f"Provisioning job #{job.pk} for {server.name}: ", output.status_text(job.status))
    )
    if wait and watch_job(job, show_provision=True).status != JobStatus.SUCCEEDED:
        sys.exit(1)


def host_key_event_dict(event: HostKeyEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "server_id": event.server_id,
        "server_name": event.server_name,
        "server_address": event.server_address,
        "server_port": event.server_port,
        "server_deleted": event.server_deleted,
        "action": event.action,
        "fingerprint": event.fingerprint,
        "previous_fingerprint": event.previous_fingerprint,
        "user": event.user.get_username() if event.user else None,
        "created_at": event.created_at,
    }


@servers.command("accept-host-key")
@click.argument("server_id", metavar="ID", type=int)
@click.option(
    "--fingerprint",
    required=True,
    metavar="SHA256:...",
    help="The fingerprint of the presented key, as `servers show` printed it; any other key is refused.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def accept_host_key(server_id: int, fingerprint: str, as_json: bool) -> None:
    """Pin the host key a server presented instead of its pinned one, after comparing it."""
    server = get_server(server_id)
    try:
        event = server_actions.accept_host_key(server, server.owner, fingerprint)
    except ActionError as exc:
        raise action_error(exc) from None
    if as_json:
        output.print_json(host_key_event_dict(event))
        return
    out = output.console()
    out.print(
        output.text(
            f"Accepted host key {event.fingerprint} for {server.name}",
            f" (was {event.previous_fingerprint}).",
        ),
        soft_wrap=True,
    )
    out.print(f"Verify the connection again: `brokeforge servers verify {server.pk}`.")


@servers.command("host-keys")
@click.argument("server_id", metavar="[ID]", type=int, required=False)
@click.option("--owner", help="Only the servers of this user, deleted ones included.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def host_keys(server_id: int | None, owner: str | None, as_json: bool) -> None:
    """Host-key history: pinned, refused and accepted keys, kept after a server is deleted.

    With ID, one server's; without, every server's, deleted servers' included.
    """
    events = HostKeyEvent.objects.all() if owner is None else user_host_key_events(resolve_owner(owner))
    if server_id is not None:
        events = events.filter(server=get_server(server_id))
    rows = [host_key_event_dict(event) for event in events.select_related("user")]
    if as_json:
        output.print_json(rows)
        return
    out = output.console()
    if not rows:
        out.print("No host-key events recorded.")
    for row in rows:
        # One line per event, unwrapped, so fingerprints stay whole to compare and copy.
        out.print(host_key_line(row), soft_wrap=True)


def host_key_line(row: dict[str, Any]) -> Text:
    port = f":{row['server_port']}" if row["server_port"] not in (None, 22) else ""
    return output.text(
        f"{output.when(row['created_at'])}  {row['server_name']}",
        (" (deleted)", "red") if row["server_deleted"] else "",
        f" {row['server_address'] or ''}{port}  ",
        (row["action"], "bold"),
        f" {row['fingerprint']}",
        f" (was {row['previous_fingerprint']})" if row["previous_fingerprint"] else "",
        f" by {row['user']}" if row["user"] else "",
    )


@servers.command("delete")
@click.argument("server_id", metavar="ID", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@needs_database
def delete(server_id: int, yes: bool) -> None:
    """Forget a server (nothing on the server itself is changed)."""
    server = get_server(server_id)
    if not yes:
        click.confirm(f"Delete server #{server.pk} {server.name} ({server.public_ip})?", abort=True)
    try:
        server_actions.delete_server(server)
    except ActionError as exc:
        raise action_error(exc) from None
    output.console().print(f"Deleted server {server.name}.")
