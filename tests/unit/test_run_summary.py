"""scripts/test.sh runs the end-to-end tests beside the others: CI still reads one pytest-style
summary line, with the counts of both runs, and a run that ended without one is an error."""

from __future__ import annotations

from tests.testbed.timings import merged, summary


def test_the_counts_of_both_runs_add_up() -> None:
    rest = "....F\nFAILED x\n1 failed, 1480 passed, 2 warnings in 600.10s (0:10:00)\n"
    e2e = "....\n16 passed, 1 skipped in 610.00s (0:10:10)\n\n"
    assert summary([rest, e2e], 725.4) == "1 failed, 1496 passed, 1 skipped, 2 warnings in 725.40s (0:12:05)"


def test_a_run_without_a_summary_is_an_error() -> None:
    crashed = "....\nFatal Python error: Segmentation fault\n"
    assert summary(["3 passed in 1.00s\n", crashed], 2.0) == "3 passed, 1 error in 2.00s (0:00:02)"
    assert summary(["2 errors in 1.00s"], 1.0) == "2 errors in 1.00s (0:00:01)"


def test_side_by_side_timings_merge_their_directories() -> None:
    parts = [
        {"collection": 6.0, "dirs": {"unit": {"seconds": 70.0, "tests": 1000}}, "reprovision": [11.0]},
        {"collection": 2.0, "dirs": {"e2e": {"seconds": 600.0, "tests": 16}}, "reprovision": [12.0]},
    ]
    assert merged(parts) == {
        "collection": 6.0,
        "dirs": {"unit": {"seconds": 70.0, "tests": 1000}, "e2e": {"seconds": 600.0, "tests": 16}},
        "reprovision": [11.0, 12.0],
    }


def test_a_directory_split_between_runs_adds_up() -> None:
    first = {"dirs": {"e2e": {"seconds": 300.0, "tests": 8, "images": [["provisioned-x", 80.0]]}}}
    second = {"dirs": {"e2e": {"seconds": 350.0, "tests": 11, "images": []}, "unit": {"seconds": 9.0}}}
    assert merged([first, second])["dirs"] == {
        "e2e": {"seconds": 650.0, "tests": 19, "images": [["provisioned-x", 80.0]]},
        "unit": {"seconds": 9.0},
    }
