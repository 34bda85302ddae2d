"""Command: a step that says who runs it, where, for how long and with what input."""

import pytest

from brokeforge.lib.enums import CredentialType
from brokeforge.packages.base import Command


def test_a_plain_command_runs_as_the_packages_credential() -> None:
    command = Command("systemctl reload nginx")
    assert command.login(CredentialType.ROOT) == CredentialType.ROOT
    assert command.remote_script() == "systemctl reload nginx"
    assert command.skippable


def test_a_command_can_name_its_credential() -> None:
    assert (
        Command("id", credential=CredentialType.BROKEFORGE).login(CredentialType.ROOT)
        == CredentialType.BROKEFORGE
    )


def test_a_site_users_command_logs_in_as_brokeforge_and_switches_with_sudo() -> None:
    command = Command("php artisan migrate --force", site_user="shop", cwd="/home/shop/shop.example.com")
    assert command.login(CredentialType.ROOT) == CredentialType.BROKEFORGE
    assert command.remote_script() == (
        "sudo -n -H -u shop -- timeout -k 5 0 "
        "bash -c 'cd /home/shop/shop.example.com && php artisan migrate --force'"
    )


def test_a_working_directory_is_quoted() -> None:
    assert Command("ls", cwd="/srv/it's here").remote_script() == "cd '/srv/it'\"'\"'s here' && ls"


@pytest.mark.parametrize("user", ["root; reboot", "-u", "Shop", "a b", "shop\n", "x" * 33, ""])
def test_a_bad_site_user_is_refused(user: str) -> None:
    with pytest.raises(ValueError, match="Invalid Linux user name"):
        Command("id", site_user=user)


def test_a_site_users_command_never_logs_in_as_root() -> None:
    with pytest.raises(ValueError, match="through the brokeforge user"):
        Command("id", site_user="shop", credential=CredentialType.ROOT)


@pytest.mark.parametrize("timeout", [0, -5])
def test_a_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match="Timeout must be positive"):
        Command("sleep 1", timeout=timeout)


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a command"):
        Command("  ")


def test_the_journal_shows_how_much_was_sent_on_stdin_but_not_what() -> None:
    command = Command("cat > /root/.my.cnf", stdin="password=hunter2-very-secret\n")
    assert command.describe() == "cat > /root/.my.cnf  <stdin: 29 bytes>"


def test_a_command_whose_output_is_read_is_never_skipped() -> None:
    assert not Command("ufw status", reads_output=True).skippable
    assert not Command("ufw status", on_result=lambda result: None).skippable


@pytest.mark.parametrize("user", ["root", "brokeforge"])
def test_a_site_command_never_runs_as_root_or_the_panels_own_user(user: str) -> None:
    with pytest.raises(ValueError, match="is not a site user"):
        Command("id", site_user=user)
