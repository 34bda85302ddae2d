"""apply_config / remove_config, run for real in a local shell with stand-in checkers: a file the
checker refuses never stays, the previous one comes back, and only an accepted change is reloaded."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from brokeforge.packages.base.shell import ConfigCheck, apply_config, remove_config


def checker(tmp_path: Path, refuse_word: str) -> ConfigCheck:
    """Refuses a configuration whose files contain `refuse_word`; its reload leaves a mark."""
    check = f"sh -c 'if grep -rq {refuse_word} {tmp_path}/conf; then echo refused: {refuse_word}; exit 1; fi'"
    return ConfigCheck(check, f"touch {tmp_path}/reloaded")


def run(script: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], input=stdin, capture_output=True, text=True, check=False)


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    (tmp_path / "conf").mkdir()
    return tmp_path / "conf" / "site.conf"


def test_an_accepted_file_is_put_in_place_and_reloaded(tmp_path: Path, conf: Path) -> None:
    step = apply_config(str(conf), "good\n", checker(tmp_path, "BROKEN"), mode="0640")
    assert step.stdin == "good\n"
    result = run(step.script, step.stdin or "")
    assert result.returncode == 0, result.stderr
    assert conf.read_text() == "good\n" and oct(conf.stat().st_mode & 0o777) == "0o640"
    assert (tmp_path / "reloaded").exists()
    assert sorted(p.name for p in conf.parent.iterdir()) == ["site.conf"]  # no copies left behind


def test_a_refused_file_gives_way_to_the_previous_one(tmp_path: Path, conf: Path) -> None:
    conf.write_text("previous\n")
    step = apply_config(str(conf), "BROKEN\n", checker(tmp_path, "BROKEN"))
    result = run(step.script, step.stdin or "")
    assert result.returncode == 1
    assert "refused: BROKEN" in result.stderr and "previous file is back" in result.stderr
    assert conf.read_text() == "previous\n"
    assert not (tmp_path / "reloaded").exists()
    assert sorted(p.name for p in conf.parent.iterdir()) == ["site.conf"]


def test_a_refused_new_file_is_removed(tmp_path: Path, conf: Path) -> None:
    step = apply_config(str(conf), "BROKEN\n", checker(tmp_path, "BROKEN"))
    assert run(step.script, step.stdin or "").returncode == 1
    assert list(conf.parent.iterdir()) == []


def test_an_unchanged_file_is_neither_checked_nor_reloaded(tmp_path: Path, conf: Path) -> None:
    conf.write_text("same\n")
    step = apply_config(str(conf), "same\n", ConfigCheck("false", f"touch {tmp_path}/reloaded"))
    result = run(step.script, step.stdin or "")
    assert result.returncode == 0 and "unchanged" in result.stdout
    assert not (tmp_path / "reloaded").exists()


def test_a_removal_the_checker_refuses_is_undone(tmp_path: Path, conf: Path) -> None:
    conf.write_text("needed\n")
    # The rest of the configuration needs this file: without it, the check fails.
    needs_it = ConfigCheck(f"test -e {conf}", f"touch {tmp_path}/reloaded")
    result = run(remove_config(str(conf), needs_it))
    assert result.returncode == 1 and conf.read_text() == "needed\n"
    assert not (tmp_path / "reloaded").exists()
    assert run(remove_config(str(conf), ConfigCheck("true", f"touch {tmp_path}/reloaded"))).returncode == 0
    assert not conf.exists() and (tmp_path / "reloaded").exists()


@pytest.mark.parametrize("path", ["relative.conf", "/etc/nginx/../shadow"])
def test_a_path_must_be_absolute_and_plain(tmp_path: Path, path: str) -> None:
    with pytest.raises(ValueError, match="absolute path"):
        apply_config(path, "x", checker(tmp_path, "X"))


def test_a_service_the_check_left_stopped_is_started_again_with_the_previous_file(
    tmp_path: Path, conf: Path
) -> None:
    # A database server is judged by restarting it: `recover` starts it again once the previous
    # file is back (here it records which file it saw).
    conf.write_text("previous\n")
    recover = f"cp {conf} {tmp_path}/started-with"
    step = apply_config(
        str(conf), "BROKEN\n", ConfigCheck(checker(tmp_path, "BROKEN").check, "true", recover)
    )
    result = run(step.script, step.stdin or "")
    assert result.returncode == 1 and "previous file is back" in result.stderr
    assert (tmp_path / "started-with").read_text() == "previous\n"


def test_a_compound_check_is_judged_whole_and_its_words_kept(tmp_path: Path, conf: Path) -> None:
    check = "echo restarting && echo 'no answer' >&2 && false"
    step = apply_config(str(conf), "new\n", ConfigCheck(check, f"touch {tmp_path}/reloaded"))
    result = run(step.script, step.stdin or "")
    assert result.returncode == 1
    assert "restarting" in result.stderr and "no answer" in result.stderr
    assert not conf.exists() and not (tmp_path / "reloaded").exists()
