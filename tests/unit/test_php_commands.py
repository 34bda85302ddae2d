import pytest

from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, build


@pytest.mark.parametrize("case", CASES["php"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "php", case)) == expected("php")[case]
