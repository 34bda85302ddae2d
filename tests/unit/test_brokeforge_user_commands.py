import base64
import shlex

import pytest

from brokeforge.packages.services.brokeforge_user.installer import (
    BrokeforgeUserInstaller,
    authorize_script,
    connect_command,
)
from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, ROOT_KEY, USER_KEY, build


@pytest.mark.parametrize("case", CASES["brokeforge_user"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "brokeforge_user", case)) == expected("brokeforge_user")[case]


def test_the_command_runs_exactly_the_authorize_script(unsaved_server: Server) -> None:
    command = BrokeforgeUserInstaller(unsaved_server).commands(ROOT_KEY, USER_KEY)[1]
    assert isinstance(command, str)
    assert shlex.split(command) == ["sh", "-c", authorize_script(ROOT_KEY, USER_KEY)]


def test_connect_command_is_one_line_that_decodes_to_the_script() -> None:
    command = connect_command(ROOT_KEY, USER_KEY)
    assert "\n" not in command
    words = shlex.split(command)
    assert words[:2] == ["bash", "-c"]
    encoded = words[2].removeprefix("$(echo ").removesuffix(" | base64 -d)")
    assert base64.b64decode(encoded).decode() == authorize_script(ROOT_KEY, USER_KEY)
