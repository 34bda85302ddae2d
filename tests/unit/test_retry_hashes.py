"""A retry skips a command only when the very same command succeeded at the same place: the hash
that says "the same" covers its text, options and input, and reveals none of them."""

import pytest

from brokeforge.jobs.journal import command_hash
from brokeforge.lib.enums import CredentialType
from brokeforge.packages.base import Command

ROOT = CredentialType.ROOT
BASE = Command("mysql -e 'CREATE DATABASE shop'")


def test_the_same_command_has_the_same_hash() -> None:
    assert command_hash(BASE, ROOT) == command_hash(Command("mysql -e 'CREATE DATABASE shop'"), ROOT)


@pytest.mark.parametrize(
    ("changed", "credential"),
    [
        (Command("mysql -e 'CREATE DATABASE shop2'"), ROOT),
        (Command("mysql -e 'CREATE DATABASE shop'", stdin="x"), ROOT),
        (Command("mysql -e 'CREATE DATABASE shop'", cwd="/tmp"), ROOT),
        (Command("mysql -e 'CREATE DATABASE shop'", check=False), ROOT),
        (Command("mysql -e 'CREATE DATABASE shop'", site_user="shop"), CredentialType.BROKEFORGE),
        (BASE, CredentialType.BROKEFORGE),
    ],
)
def test_any_change_to_what_runs_changes_the_hash(changed: Command, credential: CredentialType) -> None:
    assert command_hash(changed, credential) != command_hash(BASE, ROOT)


def test_a_secret_in_the_input_changes_the_hash_but_is_not_in_it() -> None:
    first = command_hash(Command("cat > /etc/x", stdin="secret-one"), ROOT)
    second = command_hash(Command("cat > /etc/x", stdin="secret-two"), ROOT)
    assert first != second
    assert len(first) == 64 and "secret" not in first


def test_the_hash_is_keyed_by_the_panels_secret_key(settings: object) -> None:
    before = command_hash(BASE, ROOT)
    settings.SECRET_KEY = "another-panel-entirely"  # type: ignore[attr-defined]
    assert command_hash(BASE, ROOT) != before
