import pytest

from brokeforge.packages.services.connection.installer import parse_os_release
from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, build


@pytest.mark.parametrize("case", CASES["connection"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "connection", case)) == expected("connection")[case]


def test_parse_os_release_prefers_the_pretty_name() -> None:
    output = "debian\n12\nDebian GNU/Linux 12 (bookworm)\n"
    assert parse_os_release(output) == ("Debian GNU/Linux 12 (bookworm)", "12")


def test_parse_os_release_falls_back_to_id_then_unknown() -> None:
    assert parse_os_release("alpine\n3.20\n\n") == ("alpine", "3.20")
    assert parse_os_release("") == ("unknown", "")
