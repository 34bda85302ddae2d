"""`brokeforge servers ...` on rows in the test database; nothing here connects to a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.actions import servers as server_actions
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import Server, ServerPackage

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_KEYS = {
    "id", "name", "owner", "public_ip", "ssh_port", "php_version", "connection_status",
    "connection_error", "provision_status", "provision_progress", "os_name", "os_version",
    "host_key_fingerprint", "created_at",
}  # fmt: skip


def test_add_prints_the_server_and_its_connect_command_as_json(add_server: Any) -> None:
    data = add_server("web-1", "203.0.113.10", "--port", "2222")
    assert set(data) == SERVER_KEYS | {"connect_command"}
    assert data["name"] == "web-1" and data["ssh_port"] == 2222 and data["owner"] == "admin"
    server = Server.objects.get(pk=data["id"])
    assert data["connect_command"] == server_actions.server_connect_command(server)
    for credential in server.credentials.all():
        assert credential.private_key not in json.dumps(data)


def test_add_without_json_prints_id_and_command(invoke: Invoke, admin: Any) -> None:
    result = invoke("servers", "add", "--name", "web-1", "--ip", "203.0.113.10")
    assert result.exit_code == 0, result.output
    server = Server.objects.get()
    assert f"#{server.pk}" in result.stdout
    assert server_actions.server_connect_command(server) in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ip", "300.1.1.1"], "not a valid IPv4 or IPv6 address"),
        (["--ip", "127.0.0.1"], "cannot be a server address"),
        (["--ip", "203.0.113.10", "--port", "70000"], "between 1 and 65535"),
        (["--ip", "203.0.113.10", "--port", "ssh"], "must be a number"),
        (["--ip", "203.0.113.10", "--php", "7.4"], "Unsupported PHP version"),
        (["--ip", "203.0.113.10", "--owner", "nobody"], "There is no user 'nobody'"),
    ],
)
def test_bad_input_exits_2_with_the_message_and_creates_nothing(
    invoke: Invoke, admin: Any, args: list[str], message: str
) -> None:
    result = invoke("servers", "add", "--name", "web-1", *args, "--json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert not Server.objects.exists()


def test_duplicate_name_exits_2_and_keeps_one_server(invoke: Invoke, add_server: Any) -> None:
    add_server("web-1")
    result = invoke("servers", "add", "--name", "web-1", "--ip", "203.0.113.11")
    assert result.exit_code == 2
    assert "already have a server named 'web-1'" in result.stderr
    assert Server.objects.count() == 1


def test_add_without_any_admin_says_how_to_fix_it(invoke: Invoke, django_user_model: Any) -> None:
    owner = django_user_model.objects.create_user("owner", password="correct horse battery staple")
    result = invoke("servers", "add", "--name", "web-1", "--ip", "203.0.113.10")
    assert result.exit_code == 2
    assert "--owner" in result.stderr
    ok = invoke("servers", "add", "--name", "web-1", "--ip", "203.0.113.10", "--owner", "owner")
    assert ok.exit_code == 0
    assert Server.objects.get().owner == owner


def test_list_json(invoke: Invoke, add_server: Any) -> None:
    first, second = add_server("a"), add_server("b", "203.0.113.11")
    result = invoke("servers", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [first["id"], second["id"]]
    assert all(set(row) == SERVER_KEYS for row in rows)
    assert "a" in invoke("servers", "list").stdout


def test_show_json_has_provisioning_packages_and_latest_job(invoke: Invoke, add_server: Any) -> None:
    server = Server.objects.get(pk=add_server()["id"])
    server.host_key_fingerprint = "SHA256:abc"
    server.os_name, server.os_version = "Debian GNU/Linux", "12"
    server.connection_status = ConnectionStatus.CONNECTED
    server.save()
    ServerPackage.objects.create(
        server=server, package_type="php", package_name="php", package_version="8.2",
        configuration={"fpm": True},
    )  # fmt: skip
    job = Job.objects.create(kind="x.Y", label="Provision web-1", server=server, status=JobStatus.FAILED)

    result = invoke("servers", "show", str(server.pk), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["host_key_fingerprint"] == "SHA256:abc"
    assert data["os_name"] == "Debian GNU/Linux" and data["connection_status"] == "connected"
    assert [step["step"] for step in data["provision_steps"]] == list(range(1, 8))
    assert data["packages"] == [
        {"type": "php", "name": "php", "version": "8.2", "configuration": {"fpm": True}}
    ]
    assert data["latest_job"]["id"] == job.pk and data["latest_job"]["status"] == "failed"
    human = invoke("servers", "show", str(server.pk)).stdout
    assert "SHA256:abc" in human and "Debian GNU/Linux" in human


def test_unknown_server_is_bad_input(invoke: Invoke, admin: Any) -> None:
    result = invoke("servers", "show", "999")
    assert result.exit_code == 2
    assert "no server #999" in result.stderr


def test_verify_no_wait_queues_provisioning(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    result = invoke("servers", "verify", str(server_id), "--no-wait")
    assert result.exit_code == 0, result.output
    job = Job.objects.get(server_id=server_id)
    assert job.status == JobStatus.QUEUED and job.label.startswith("Provision")
    # Provisioning again reuses the job under way.
    assert invoke("servers", "provision", str(server_id)).exit_code == 0
    assert Job.objects.filter(server_id=server_id).count() == 1


def test_provision_refused_while_the_host_key_changed(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    Server.objects.filter(pk=server_id).update(connection_status=ConnectionStatus.HOST_KEY_CHANGED)
    result = invoke("servers", "provision", str(server_id))
    assert result.exit_code == 2
    assert "host key" in result.stderr
    assert not Job.objects.exists()


def test_delete(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    assert invoke("servers", "delete", str(server_id), input="n\n").exit_code == 1
    assert Server.objects.exists()
    result = invoke("servers", "delete", str(server_id), "--yes")
    assert result.exit_code == 0
    assert not Server.objects.exists()


def test_delete_refused_while_a_job_runs(invoke: Invoke, add_server: Any) -> None:
    server = Server.objects.get(pk=add_server()["id"])
    Job.objects.create(kind="x.Y", label="busy", server=server, status=JobStatus.RUNNING)
    result = invoke("servers", "delete", str(server.pk), "--yes")
    assert result.exit_code == 2
    assert "has a job queued or running" in result.stderr
    assert Server.objects.exists()


def test_unmigrated_database_gets_a_hint(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("brokeforge.cli.main.unapplied_migrations", lambda: ["servers.0001_initial"])
    result = invoke("servers", "list", "--json")
    assert result.exit_code == 1
    assert "brokeforge migrate" in result.stderr and result.stdout == ""
