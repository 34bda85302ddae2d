"""A malformed or passphrase-protected key fails with a message that says so, before any connection
is tried, and the journal closes the connect step as failed (it never stays "running")."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.contrib.auth.models import User

from brokeforge.jobs import queue
from brokeforge.jobs.journal import JournalRunner
from brokeforge.jobs.models import Job, StepStatus
from brokeforge.lib.enums import CredentialType
from brokeforge.packages.base import Command
from brokeforge.servers.models import Server
from brokeforge.ssh import ConnectFailed, SshTarget, connect


def encrypted_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a passphrase"),
    )
    return pem.decode()


BAD_KEYS = {
    "passphrase": (encrypted_key(), "protected by a passphrase"),
    "garbage": ("not a key at all", "not a private key asyncssh can read"),
    "truncated": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        "not a private key asyncssh can read",
    ),
}


@pytest.mark.parametrize("name", BAD_KEYS)
def test_the_transport_says_why_a_key_cannot_be_used(name: str) -> None:
    key, reason = BAD_KEYS[name]
    # Port 9 on loopback: were a connection tried, it would be refused with another message.
    target = SshTarget(host="127.0.0.1", port=9, username="root", private_key=key)
    with pytest.raises(ConnectFailed) as raised:
        connect(target)
    assert f"the private key for 'root' cannot be used: it is {reason}" in str(raised.value)
    assert "a passphrase" not in str(raised.value).replace("by a passphrase", "")


@pytest.mark.django_db
@pytest.mark.parametrize("name", BAD_KEYS)
def test_the_journal_closes_the_connect_step_with_the_reason(owner: User, name: str) -> None:
    key, reason = BAD_KEYS[name]
    server = Server.objects.create(owner=owner, name="web-1", public_ip="127.0.0.1", ssh_port=9)
    job = Job.objects.create(kind="x", label="Authorise", server=server, server_name=server.name)
    queue.acquire_lock(job)  # a job steps onto its server only under its lock
    runner = JournalRunner(job, private_key_overrides={CredentialType.ROOT: key})
    with pytest.raises(ConnectFailed):
        runner.command(server, Command("true"), CredentialType.ROOT)
    step = job.steps.get()
    assert (step.status, step.is_command) == (StepStatus.FAILED, False)
    assert reason in step.output and step.finished_at is not None
    server.refresh_from_db()
    assert (server.connection_status, reason in server.connection_error) == ("failed", True)
