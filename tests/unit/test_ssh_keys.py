"""brokeforge/ssh/keys.py and the reprs that must never show a private key."""

import subprocess
from pathlib import Path

import pytest

from brokeforge.ssh import CommandFailed, KeyPair, SshTarget, fingerprint, generate_keypair


def test_generate_keypair_is_ed25519_with_the_comment() -> None:
    pair = generate_keypair("brokeforge-root@web-1")
    kind, _blob, comment = pair.public_key.split(" ")
    assert (kind, comment) == ("ssh-ed25519", "brokeforge-root@web-1")
    assert pair.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")


def test_two_keypairs_differ() -> None:
    assert generate_keypair("a").public_key.split()[1] != generate_keypair("a").public_key.split()[1]


def test_the_private_key_matches_the_public_key_and_the_fingerprint_matches_ssh_keygen(
    tmp_path: Path,
) -> None:
    pair = generate_keypair("test")
    private = tmp_path / "id_ed25519"
    private.write_text(pair.private_key)
    private.chmod(0o600)
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(private)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert derived[:2] == pair.public_key.split()[:2]

    public = tmp_path / "id_ed25519.pub"
    public.write_text(pair.public_key + "\n")
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert fingerprint(pair.public_key) == listed[1]
    assert listed[1].startswith("SHA256:")


def test_keypair_repr_and_str_hide_the_private_key() -> None:
    pair = generate_keypair("test")
    secret_line = pair.private_key.splitlines()[1]
    for shown in (repr(pair), str(pair), f"{pair}", repr([pair])):
        assert secret_line not in shown and "PRIVATE" not in shown
    assert pair.public_key in repr(pair)


def test_ssh_target_repr_hides_the_private_key() -> None:
    pair = generate_keypair("test")
    target = SshTarget(host="203.0.113.10", port=22, username="root", private_key=pair.private_key)
    for shown in (repr(target), str(target), f"{target}", repr({"target": target})):
        assert "PRIVATE" not in shown and pair.private_key.splitlines()[1] not in shown
    assert repr(target) == "SshTarget(root@203.0.113.10:22)"


def test_keypair_is_immutable() -> None:
    assert KeyPair.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_command_failed_message_names_the_command_and_the_stderr_tail() -> None:
    error = CommandFailed("nginx -t", 1, "  nginx: [emerg] unknown directive\n")
    assert str(error) == "Command failed with exit code 1: nginx -t\nnginx: [emerg] unknown directive"
    assert str(CommandFailed("true", 2, "")) == "Command failed with exit code 2: true"


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa", "rsa"])
def test_a_host_keys_fingerprint_is_the_one_ssh_keygen_lists_for_it(tmp_path: Path, key_type: str) -> None:
    # Servers have host keys of every type; the panel may pin any of them, and the user compares
    # what it shows with `ssh-keygen -lf` output (and the connect command's) character for character.
    key = tmp_path / f"ssh_host_{key_type}_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", "root@web-1", "-f", str(key)], check=True
    )
    public_key = key.with_suffix(".pub").read_text().strip()
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", f"{key}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert fingerprint(public_key) == listed[1]
    assert fingerprint(" ".join(public_key.split()[:2])) == listed[1]  # the comment plays no part
