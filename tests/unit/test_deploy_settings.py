"""How a site deploys, as data: shared paths, releases kept and the health check are cleaned or
refused with a message, and an empty script means the site type's default."""

from __future__ import annotations

import pytest

from brokeforge.lib.enums import SiteType
from brokeforge.packages.services.sites.deploy.settings import (
    DeploySettings,
    HealthCheck,
    SharedPath,
    default_script,
)


def test_laravel_shares_its_environment_and_storage_by_default() -> None:
    settings = DeploySettings.validated(SiteType.LARAVEL)
    assert [str(path) for path in settings.shared] == [".env", "storage/"]
    assert [path.directory for path in settings.shared] == [False, True]
    assert "artisan migrate --force" in settings.script


def test_an_empty_script_is_the_types_default_and_a_given_one_is_kept_exactly() -> None:
    assert DeploySettings.validated(SiteType.STATIC, " \n").script == default_script(SiteType.STATIC)
    script = "echo \"it's $HOME\" \\\n  && printf '%s\\n' `date`\n"
    assert DeploySettings.validated(SiteType.PHP, script).script == script


def test_an_empty_shared_list_shares_nothing() -> None:
    assert DeploySettings.validated(SiteType.LARAVEL, "", []).shared == ()


@pytest.mark.parametrize(
    "value", ["../etc", "/etc/passwd", "a/../../b", "..", ".", "a b", "a;b", "$(id)", "a\nb", "", "/"]
)
def test_shared_paths_stay_inside_the_release(value: str) -> None:
    with pytest.raises(ValueError, match="Shared path"):
        SharedPath.parse(value)


def test_shared_paths_keep_dotfiles_and_nested_directories() -> None:
    assert SharedPath.parse("storage/app/public/") == SharedPath("storage/app/public", directory=True)
    assert SharedPath.parse(".env.production") == SharedPath(".env.production", directory=False)


@pytest.mark.parametrize("keep", [0, 51, "-1", "2x", True])
def test_releases_kept_are_bounded(keep: object) -> None:
    with pytest.raises(ValueError, match="Releases to keep"):
        DeploySettings.validated(SiteType.PHP, keep_releases=keep)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "status", "timeout", "message"),
    [("up", 200, 10, "must start with /"), ("/a b", 200, 10, "must start with /"),
     ("/'$(id)'", 200, 10, "must start with /"), ("/up\n", 200, 10, "must start with /"),
     ("/up", 99, 10, "HTTP status"), ("/up", 600, 10, "HTTP status"), ("/up", 200, 0, "timeout"),
     ("/up", 200, 121, "timeout"), ("/up", "2OO", 10, "whole number")],
)  # fmt: skip
def test_bad_health_checks_are_refused(path: str, status: object, timeout: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HealthCheck.validated(path, status, timeout)  # type: ignore[arg-type]


def test_a_health_check_with_a_query_string() -> None:
    assert HealthCheck.validated("/health?full=1&x=%20", "204", 5) == HealthCheck(
        "/health?full=1&x=%20", 204, 5
    )


def test_a_script_with_a_nul_character_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        DeploySettings.validated(SiteType.PHP, "echo a\0b")
