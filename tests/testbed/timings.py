"""Where a test run's time goes: wall seconds per top-level test directory, and image builds.

tests/conftest_testbed.py calls these from its pytest hooks. With
BROKEFORGE_TEST_TIMINGS=PATH set (scripts/test.sh sets it), the session's
numbers are written there as JSON at the end, for test.sh's table:

    {"collection": 1.2, "session": 310.5,
     "dirs": {"unit": {"seconds": 4.1, "tests": 120, "images": []},
              "e2e": {"seconds": 300.2, "tests": 7,
                      "images": [["provisioned-bookworm-0123abcd01234567", 84.2]]}, ...},
     "reprovision": [11.8, 12.3]}

A directory's seconds are the wall time of its tests' setup, call and
teardown, fixtures included: an image build counts in the directory of the
first test that needs the image (its "images" list says how much that was).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

TIMINGS_ENV = "BROKEFORGE_TEST_TIMINGS"

_dirs: dict[str, dict[str, Any]] = {}
_reprovision: list[float] = []
_marks: dict[str, float] = {}


def top_dir(nodeid: str) -> str:
    """ "tests/e2e/test_x.py::test_y[a]" -> "e2e"; a test file directly in tests/ -> "tests"."""
    parts = nodeid.split("::", 1)[0].split("/")
    if parts[0] == "tests" and len(parts) > 2:
        return parts[1]
    return parts[0] if len(parts) > 1 else "."


def add_test(nodeid: str, seconds: float, builds: list[tuple[str, float]]) -> None:
    """A test's wall SECONDS, and the images built while it set up (BUILDS)."""
    entry = _dirs.setdefault(top_dir(nodeid), {"seconds": 0.0, "tests": 0, "images": []})
    entry["seconds"] += seconds
    entry["tests"] += 1
    entry["images"] += [[name, round(secs, 1)] for name, secs in builds]


def add_reprovision(seconds: float) -> None:
    """The product's provisioning of a server booted from the provisioned image."""
    _reprovision.append(round(seconds, 1))


def mark(name: str) -> None:
    _marks[name] = time.monotonic()


def write() -> None:
    path = os.environ.get(TIMINGS_ENV)
    if not path:
        return
    now = time.monotonic()
    data = {
        "collection": round(_marks.get("collected", now) - _marks.get("start", now), 1),
        "session": round(now - _marks.get("start", now), 1),
        "dirs": {name: {**e, "seconds": round(e["seconds"], 1)} for name, e in _dirs.items()},
        "reprovision": _reprovision,
    }
    tmp = Path(f"{path}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.rename(path)  # whole or not at all


# -- the table scripts/test.sh prints at the end -----------------------------------

# The main run's directories in the order a reader expects them.
DIR_ORDER = ("unit", "web", "cli", "integration", "queue", "e2e", "browser")


def _fmt(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{seconds:8.1f}s" + (f"  ({int(minutes)}m{rest:04.1f}s)" if minutes else "")


def report(tiers: list[tuple[str, float]], data: dict[str, Any] | str, main_tier: str) -> str:
    """The timing table: each tier, and inside MAIN_TIER each top-level test directory."""
    width = 46
    lines = [f"{'tier':<{width}}{'seconds':>9}"]
    for name, seconds in tiers:
        lines.append(f"{name:<{width}}{_fmt(seconds)}")
        if name == main_tier:
            lines += _main_run_lines(data, width) if isinstance(data, dict) else [f"  ({data})"]
    lines.append(f"{'total':<{width}}{_fmt(sum(s for _, s in tiers))}")
    return "\n".join(lines)


def _main_run_lines(data: dict[str, Any], width: int) -> list[str]:
    lines = [f"{'  collection':<{width}}{_fmt(float(data.get('collection', 0.0)))}"]
    dirs: dict[str, dict[str, Any]] = data.get("dirs", {})
    order = [d for d in DIR_ORDER if d in dirs] + sorted(d for d in dirs if d not in DIR_ORDER)
    built = False
    for d in order:
        label = f"  {d} ({int(dirs[d]['tests'])} tests)"
        lines.append(f"{label:<{width}}{_fmt(float(dirs[d]['seconds']))}")
        for image, seconds in dirs[d].get("images", []):
            kind_release = str(image).rsplit("-", 1)[0]
            lines.append(f"{'    of which building ' + kind_release:<{width}}{_fmt(float(seconds))}")
            built = True
    if not built:
        lines.append("  (every test image came from the cache)")
    reprovision: list[float] = sorted(data.get("reprovision", []))
    if reprovision:
        median = reprovision[len(reprovision) // 2]
        lines.append(f"    the product's provisioning of a server from the provisioned image: "
                     f"{len(reprovision)}x, median {median:.1f}s")  # fmt: skip
    return lines


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The numbers of runs that went side by side, as one run's. A directory split between runs
    (the end-to-end tests in two halves) adds up its tests, seconds and image builds."""
    dirs: dict[str, dict[str, Any]] = {}
    for part in parts:
        for name, entry in part.get("dirs", {}).items():
            if name not in dirs:
                dirs[name] = dict(entry)
                continue
            total = dirs[name]
            for key, value in entry.items():
                total[key] = total[key] + value if key in total else value
    return {
        "collection": max((float(p.get("collection", 0.0)) for p in parts), default=0.0),
        "dirs": dirs,
        "reprovision": [seconds for part in parts for seconds in part.get("reprovision", [])],
    }


_COUNT_RE = re.compile(r"(\d+) (failed|passed|skipped|deselected|xfailed|xpassed|warnings?|errors?)\b")
_COUNT_ORDER = ("failed", "passed", "skipped", "deselected", "xfailed", "xpassed", "warning", "error")


def summary(logs: list[str], seconds: float) -> str:
    """One pytest-style summary line ("3 failed, 1496 passed in 1223.6s") for runs side by side;
    a run whose log ends without one counts as an error."""
    counts: Counter[str] = Counter()
    for log in logs:
        lines = [line for line in log.splitlines() if line.strip()]
        found = _COUNT_RE.findall(lines[-1]) if lines and " in " in lines[-1] else []
        if not found:
            counts["error"] += 1
        for number, kind in found:
            counts[kind.rstrip("s") if kind in ("warnings", "errors") else kind] += int(number)
    parts = [f"{counts[kind]} {kind}{'s' if kind in ('warning', 'error') and counts[kind] > 1 else ''}"
             for kind in _COUNT_ORDER if counts[kind]]  # fmt: skip
    minutes, rest = divmod(int(seconds), 60)
    return f"{', '.join(parts) or 'no tests ran'} in {seconds:.2f}s (0:{minutes:02d}:{rest:02d})"


def main(argv: list[str]) -> int:
    """python -m tests.testbed.timings TIERS_TSV MAIN_TIER RUN...: print the table;
    python -m tests.testbed.timings --summary SECONDS RUN...: print the runs' summary line.
    Each RUN is a path without its suffix: RUN.json the run's numbers, RUN.log its output."""
    if argv[0] == "--summary":
        print(summary([_read(f"{run}.log") for run in argv[2:]], float(argv[1])))
        return 0
    tiers_path, main_tier, *runs = argv
    tiers: list[tuple[str, float]] = []
    for line in Path(tiers_path).read_text().splitlines():
        name, _, seconds = line.rpartition("\t")
        tiers.append((name, float(seconds)))
    data: dict[str, Any] | str
    try:
        data = merged([json.loads(Path(f"{run}.json").read_text()) for run in runs])
    except (OSError, ValueError) as exc:
        data = f"no per-directory times: {exc}"
    print(report(tiers, data, main_tier))
    if len(runs) > 1:
        print(
            f"  ({' and '.join(Path(run).name for run in runs)} ran side by side: directories add up to more)"
        )
    return 0


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
