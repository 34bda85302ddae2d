"""A deployment's status comes from the server: the script's exit code and where `current`
points afterwards. The panel never calls a release live that is not."""

from __future__ import annotations

from brokeforge.lib.enums import DeploymentStatus
from brokeforge.packages.services.sites.deploy.installer import heredoc_end
from brokeforge.packages.services.sites.deploy.preview import Preview
from brokeforge.packages.services.sites.deploy.release import LiveState, ScriptRun, judge
from brokeforge.ssh import CommandResult


def ran(exit_code: int, stderr: str = "") -> ScriptRun:
    run = ScriptRun()
    run.keep(CommandResult(exit_code, "", stderr))
    return run


def live(release: str) -> LiveState:
    return LiveState.parse(f"live=releases/{release}\ncommit={'a' * 40}\nmessage=Fix: a=b\n")


def test_live_state_is_read_from_the_commands_output() -> None:
    state = live("20261123120000-7")
    assert state == LiveState("20261123120000-7", "a" * 40, "Fix: a=b")


def test_succeeded_only_when_the_script_succeeded_and_the_release_is_live() -> None:
    assert judge(ran(0), live("r2"), "r2") == (DeploymentStatus.SUCCEEDED, "")
    status, reason = judge(ran(0), live("r1"), "r2")
    assert status == DeploymentStatus.FAILED and "release r1 is live, not r2" in reason


def test_a_failed_health_check_says_why_and_what_is_live_again() -> None:
    words = "brokeforge: health check failed: GET /up answered 500, expected 200 (after 5s).\n"
    status, reason = judge(ran(3, "PHP Fatal error\n" + words), live("r1"), "r2")
    assert status == DeploymentStatus.FAILED
    assert (
        reason
        == "Health check failed: GET /up answered 500, expected 200 (after 5s). Release r1 is live again."
    )


def test_a_failed_script_names_its_last_error_line() -> None:
    status, reason = judge(ran(1, "composer: not found\n\n"), live("r1"), "r2")
    assert (status, reason) == (DeploymentStatus.FAILED, "Composer: not found. Release r1 is live.")
    assert (
        judge(ran(7), LiveState("", "", ""), "r2")[1] == "The script exited with code 7. No release is live."
    )


def test_the_heredoc_end_is_never_a_line_of_the_script() -> None:
    script = "echo one\nBROKEFORGE_SCRIPT_END_0000000000000000\n"
    assert heredoc_end(script) not in script.splitlines()
    assert heredoc_end(script) == heredoc_end(script) != heredoc_end(script + " ")


def test_the_preview_reads_only_its_own_lines() -> None:
    output = (
        "==> Fetching main\nbrokeforge-preview commit " + "c" * 40 + "\n"
        "brokeforge-preview live " + "b" * 40 + "\nbrokeforge-preview previous releases/r1\n"
        "brokeforge-preview log " + "c" * 40 + "\tAda\tAdd\tthe page\n"
        "a commit subject saying brokeforge-preview commit evil\n"
    )
    preview = Preview.parse(output)
    assert (preview.commit, preview.live_commit, preview.live_release) == ("c" * 40, "b" * 40, "r1")
    assert preview.commits == [{"sha": "c" * 40, "author": "Ada", "subject": "Add\tthe page"}]
