"""The data directory and its key files: owner-only, even when they existed before; created
exclusively, so processes starting together agree on one key."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from brokeforge import home


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("BROKEFORGE_HOME", str(path))
    return path


def test_an_existing_open_data_directory_is_closed(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    assert home.home() == data_dir.resolve()
    assert mode(data_dir) == 0o700


def test_key_files_left_readable_by_an_older_install_are_closed(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("old-secret\n")
    (data_dir / "encryption_keys").write_text("k\n")
    for name in ("secret_key", "encryption_keys"):
        (data_dir / name).chmod(0o644)
    assert home.secret_key() == "old-secret"
    assert home.encryption_keys() == ["k"]
    assert mode(data_dir / "secret_key") == mode(data_dir / "encryption_keys") == 0o600


def test_new_key_files_are_owner_only_and_nothing_else_is_left(data_dir: Path) -> None:
    home.secret_key()
    home.encryption_keys()
    assert sorted(p.name for p in data_dir.iterdir()) == ["encryption_keys", "secret_key"]
    assert mode(data_dir / "secret_key") == mode(data_dir / "encryption_keys") == 0o600


def test_a_database_file_is_made_owner_only(data_dir: Path) -> None:
    data_dir.mkdir()
    database = data_dir / "brokeforge.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    home.private_file(database)
    assert mode(database) == 0o600
    fresh = home.private_file(data_dir / "new.sqlite3")
    assert fresh.exists() and mode(fresh) == 0o600


def _first_key(barrier: multiprocessing.synchronize.Barrier, queue: multiprocessing.Queue) -> None:  # type: ignore[name-defined]
    barrier.wait()
    queue.put(home.encryption_keys()[0])


def test_processes_starting_together_agree_on_one_encryption_key(data_dir: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(8), context.Queue()
    processes = [context.Process(target=_first_key, args=(barrier, results)) for _ in range(8)]
    for process in processes:
        process.start()
    keys = {results.get(timeout=20) for _ in processes}
    for process in processes:
        process.join(timeout=20)
    assert len(keys) == 1
    assert keys == {home.encryption_keys()[0]}


def test_a_rotation_replaces_the_key_file_whole(data_dir: Path) -> None:
    first = home.encryption_keys()
    home.write_encryption_keys(["new", *first])
    assert home.encryption_keys() == ["new", *first]
    assert mode(data_dir / "encryption_keys") == 0o600
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".")]
    assert os.access(data_dir / "encryption_keys", os.R_OK)
