"""Provisioning a fresh Debian 12 server, two ways, in one run, on identical fresh servers.

  ours  the product as a user drives it: a fresh BROKEFORGE_HOME, a real worker process,
        `brokeforge servers add`, the connect command pasted into a root shell on the server,
        `servers verify` (which queues the provisioning job and waits for its connection step),
        then `servers provision --wait` (which follows that job to its end)
  bare  one shell script over one `ssh` session as root (bench/provision_bare.sh.j2), rendered
        with the product's values and templates: the same apt packages in one `apt-get install`,
        the brokeforge user with its key and sudoers file, ufw with 22/80/443, PHP-FPM, Nginx with
        the same default site and page, services enabled, restarted and checked, swap skipped in
        containers (the product's own swap script)

Both servers boot from the same bookworm base image. One untimed run of the bare script on a third
server first fills the test bed's apt cache, so both timed runs find it equally warm. With several
rounds the order of ours and bare alternates; each round's two runs are back to back and so share
the machine's load, and the median of the rounds' ratios is the verdict. After each round both
servers are checked alike (page, ufw, services) and must hold the same set of Debian packages.

Ours is timed from the start of `servers verify` (the command that dispatches the provisioning
job) to the exit of `servers provision --wait` (the job's end, as the user sees it); the job's own
started/finished timestamps from `jobs show --json` are printed beside it.

  ratio_vs_bare: ours wall seconds / bare wall seconds   (target: at most 1.25)

Also printed, for the round with the median ratio: ours' top steps from the job journal, its time
by provisioning step, apt runs, panel time between commands, queue wait and CLI overhead, beside
the bare script's phases and what one apt-get run costs when it has nothing to do.

Run as root from the repository: `.venv/bin/python bench/provision.py [--rounds 1] [--save DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_VS_BARE = 1.25
BARE_TEMPLATE = "provision_bare.sh.j2"
PHP_VERSION = "8.2"
CLI_TIMEOUT = 3600.0
TOP_STEPS = 10
sys.path.insert(0, str(REPO))

from tests.testbed import BootedServer, Testbed, default_cache_dir  # noqa: E402
from tests.testbed.panel import Panel, create_panel  # noqa: E402

# What must hold on both servers once provisioned (checked untimed, after each round).
SAME_FILES = "/etc/nginx/sites-available/default /etc/sudoers.d/90-brokeforge"
PACKAGE_LIST = "dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\\n' | grep '^ii' | sort"


# -- the bare script -------------------------------------------------------------------------------


def bare_script(server_name: str, root_public_key: str, user_public_key: str) -> str:
    """The baseline script, rendered with the values and templates the product uses."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from brokeforge.lib.enums import CredentialType, PhpVersion
    from brokeforge.lib.templates import render
    from brokeforge.packages.services.brokeforge_user.installer import authorize_script
    from brokeforge.packages.services.firewall.rules import FirewallRule
    from brokeforge.packages.services.nginx.installer import DEFAULT_ROOT, DEFAULT_SITE_CONFIG
    from brokeforge.packages.services.php.installer import fpm_service, php_packages
    from brokeforge.packages.services.provision.installer import WEB_PORTS
    from brokeforge.packages.services.system.installer import BASE_PACKAGES, SWAP_MB, SWAPPINESS

    php = PhpVersion.parse(PHP_VERSION)
    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - a shell script, not HTML
        keep_trailing_newline=True,
    )
    env.filters["shquote"] = lambda value: shlex.quote(str(value))
    rules = [FirewallRule.validated(22, "SSH"), *(FirewallRule.validated(p, n) for p, n in WEB_PORTS)]
    return env.get_template(BARE_TEMPLATE).render(
        packages=[*BASE_PACKAGES, "ufw", *php_packages(php), "nginx"],
        swap_script=render("system/swap.sh.j2", size_mb=SWAP_MB, swappiness=SWAPPINESS),
        authorize_script=authorize_script(root_public_key, user_public_key),
        ufw_rules=[rule.ufw_command() for rule in rules],
        fpm_service=fpm_service(php),
        document_root=DEFAULT_ROOT,
        www_root=str(Path(DEFAULT_ROOT).parent),
        owner=CredentialType.BROKEFORGE.user,
        page=render("nginx/default-page.html.j2", server_name=server_name, php_version=php.value),
        site_config=render("nginx/default-site.conf.j2", document_root=DEFAULT_ROOT, php_version=php.value),
        site_config_path=DEFAULT_SITE_CONFIG,
        recorded_packages=["ufw", fpm_service(php), "nginx"],
    )


@dataclass
class BareRun:
    wall: float
    phases: list[tuple[str, float]]  # (phase, seconds), in order
    output: str
    apt_noop: float = 0.0  # one `apt-get install` that has nothing to do, measured afterwards


def run_bare(srv: BootedServer, script: str) -> BareRun:
    started = time.perf_counter()
    result = srv.run(f"bash -c {shlex.quote(script)}", check=False, timeout=CLI_TIMEOUT)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"the bare script failed on {srv.hostname} (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    marks = [line.split()[1:3] for line in result.stdout.splitlines() if line.startswith("@@phase ")]
    phases = [(name, float(marks[i + 1][1]) - float(at)) for i, (name, at) in enumerate(marks[:-1])]
    return BareRun(wall, phases, result.stdout + result.stderr)


# -- the product, through its CLI --------------------------------------------------------------------


def wait_for_worker(panel: Panel, timeout: float = 60.0) -> None:
    """A user's panel has its workers running before they press anything: wait for ours."""
    worker = panel.workers.started[0]
    log = panel.home.parent / "worker-0.log"
    deadline = time.monotonic() + timeout
    while "Starting worker" not in (log.read_text() if log.exists() else ""):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log.read_text() if log.exists() else ''}")
        time.sleep(0.1)


@dataclass
class OursRun:
    # `servers verify` start to `servers provision --wait` exit; None if --wait broke (see error)
    wall: float | None
    dispatch_to_end: float  # `servers verify` start to the job's finished_at
    verify_wall: float
    job: dict[str, Any]
    queue_wait: float  # job created -> started
    job_duration: float  # job started -> finished
    wait_error: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def measured(self) -> float:
        """What the ratio uses: the commands' wall time, or dispatch to job end if --wait broke."""
        return self.dispatch_to_end if self.wall is None else self.wall


def timestamp(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def follow_job(panel: Panel, job_id: str) -> dict[str, Any]:
    """Only when `provision --wait` itself breaks: follow the job through `jobs show`."""
    while True:
        job = panel.json("jobs", "show", job_id, "--output")
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.5)


def run_ours(panel: Panel, srv: BootedServer) -> OursRun:
    added = panel.json("servers", "add", "--name", srv.hostname, "--ip", srv.ip, "--php", PHP_VERSION)
    srv.run(added["connect_command"])  # what a user pastes into a root shell on the server
    server_id = str(added["id"])
    wait_for_worker(panel)

    dispatched_at = time.time()
    started = time.perf_counter()
    panel.cli("servers", "verify", server_id)
    verified = time.perf_counter()
    waited = panel.cli("servers", "provision", server_id, "--wait", check=False)
    ended = time.perf_counter()

    job_id = str(panel.json("servers", "show", server_id)["latest_job"]["id"])
    wait_error = ""
    if waited.returncode != 0:
        tail = (waited.stderr.strip() or waited.stdout.strip()).splitlines()[-1:] or ["(no output)"]
        wait_error = (
            f"`brokeforge servers provision {server_id} --wait` exited {waited.returncode}: {tail[0]}"
        )
        print(f"PRODUCT CLI ERROR: {wait_error}", flush=True)
        job = follow_job(panel, job_id)
    else:
        job = panel.json("jobs", "show", job_id, "--output")
    if job["status"] != "succeeded":
        raise SystemExit(f"provisioning job #{job_id} {job['status']}: {job['error']}")
    shown = panel.json("servers", "show", server_id)
    if shown["provision_status"] != "completed":
        raise SystemExit(f"provisioning did not complete: {json.dumps(shown, default=str)[:3000]}")
    return OursRun(
        wall=None if wait_error else ended - started,
        dispatch_to_end=timestamp(job["finished_at"]) - dispatched_at,
        verify_wall=verified - started,
        job=job,
        queue_wait=timestamp(job["started_at"]) - timestamp(job["created_at"]),
        job_duration=timestamp(job["finished_at"]) - timestamp(job["started_at"]),
        wait_error=wait_error,
        steps=job["steps"],
    )


# -- checks --------------------------------------------------------------------------------------


def check_provisioned(srv: BootedServer) -> None:
    page = urllib.request.urlopen(f"http://{srv.ip}/", timeout=10).read().decode()
    if f"<h1>{srv.hostname}</h1>" not in page:
        raise SystemExit(f"{srv.hostname}: the default page does not name the server:\n{page}")
    ufw = srv.run("ufw status").stdout
    if "Status: active" not in ufw or not all(p in ufw for p in ("22/tcp", "80/tcp", "443/tcp")):
        raise SystemExit(f"{srv.hostname}: ufw is not as expected:\n{ufw}")
    active = srv.run(
        "systemctl is-active nginx php8.2-fpm; systemctl is-enabled nginx php8.2-fpm", check=False
    )
    if active.stdout.split() != ["active", "active", "enabled", "enabled"]:
        raise SystemExit(f"{srv.hostname}: services not running and enabled: {active.stdout!r}")


def check_same(ours: BootedServer, bare: BootedServer) -> int:
    """Both servers hold the same packages and files; returns the number of packages."""
    ours_packages, bare_packages = ours.run(PACKAGE_LIST).stdout, bare.run(PACKAGE_LIST).stdout
    if ours_packages != bare_packages:
        only_ours = sorted(set(ours_packages.splitlines()) - set(bare_packages.splitlines()))
        only_bare = sorted(set(bare_packages.splitlines()) - set(ours_packages.splitlines()))
        raise SystemExit(f"installed packages differ: only ours {only_ours}, only bare {only_bare}")
    snapshot = f"cd / && md5sum {SAME_FILES} && ufw status verbose && id brokeforge"
    ours_files, bare_files = ours.run(snapshot).stdout, bare.run(snapshot).stdout
    if ours_files != bare_files:
        raise SystemExit(f"servers differ:\n--- ours\n{ours_files}\n--- bare\n{bare_files}")
    return len(ours_packages.splitlines())


def apt_noop_seconds(srv: BootedServer, runs: int = 3) -> float:
    """The fixed cost of one apt-get run (read lists, resolve, dpkg status) with nothing to install,
    timed on the server itself."""
    apt = "DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends nginx"
    timed = f"s=$(date +%s%N); {apt} >/dev/null; echo $(( $(date +%s%N) - s ))"
    return statistics.median(int(srv.run(timed).stdout.strip()) / 1e9 for _ in range(runs))


# -- the run ---------------------------------------------------------------------------------------


def local_keys(tmp: Path, root_key: Path) -> tuple[str, str]:
    """(root public key of the test bed, a new public key for the bare server's brokeforge user)."""
    root_public = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(root_key)], check=True, capture_output=True, text=True
    ).stdout.strip()
    user_key = tmp / "bare_brokeforge_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench-brokeforge", "-f", str(user_key)],
        check=True,
    )  # fmt: skip
    return root_public, user_key.with_suffix(".pub").read_text().strip()


def one_round(bed: Testbed, tmp: Path, index: int, keys: tuple[str, str]) -> tuple[OursRun, BareRun]:
    ours_srv, bare_srv = bed.boot_many([f"bench-ours-{index}", f"bench-bare-{index}"])
    panel = create_panel(tmp / f"panel-{index}", timings={})  # the product's own defaults
    try:
        panel.start_worker()
        script = bare_script(bare_srv.hostname, *keys)
        ours_first = index % 2 == 0
        if ours_first:
            ours = run_ours(panel, ours_srv)
            bare = run_bare(bare_srv, script)
        else:
            bare = run_bare(bare_srv, script)
            ours = run_ours(panel, ours_srv)
        check_provisioned(ours_srv)
        check_provisioned(bare_srv)
        packages = check_same(ours_srv, bare_srv)
        bare.apt_noop = apt_noop_seconds(bare_srv)
        first = "ours" if ours_first else "bare"
        print(
            f"round {index + 1} ({first} first): ours {ours.measured:.1f}s, bare {bare.wall:.1f}s, "
            f"same {packages} packages and files on both",
            flush=True,
        )
        return ours, bare
    finally:
        panel.workers.stop()
        for srv in (ours_srv, bare_srv):
            srv.stop()


# -- report --------------------------------------------------------------------------------------


def depth(step: dict[str, Any]) -> int:
    return len(step["section"].split(" > ")) if step["section"] else 0


def leaf_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps that do not wrap others (a provisioning step wraps the whole package job it runs)."""
    return [s for s, after in zip(steps, [*steps[1:], None], strict=True)
            if after is None or depth(after) <= depth(s)]  # fmt: skip


def short(text: str, width: int = 70) -> str:
    lines = text.strip().splitlines() or [""]
    return lines[0] if len(lines) == 1 and len(lines[0]) <= width else lines[0][: width - 2] + " …"


def ms_sum(steps: list[dict[str, Any]]) -> float:
    return sum(s["duration_ms"] for s in steps) / 1000


def report_analysis(ours: OursRun, bare: BareRun) -> None:
    steps = [s for s in ours.steps if s["duration_ms"] is not None]
    commands = [s for s in steps if s["is_command"]]
    connects = [s for s in steps if not s["is_command"] and s["description"].startswith("Connect to ")]
    apt_installs = [s for s in commands if "apt-get" in s["description"] and " install " in s["description"]]
    # apt_install skips apt when dpkg already has every package: those steps say so in their output.
    apt_skipped = [s for s in apt_installs if s.get("output", "").startswith("Already installed:")]
    apt_updates = [s for s in commands if s["description"].rstrip().endswith(" update")]
    outside = ours.job_duration - ms_sum(commands)
    cli = ours.measured - ours.job_duration - ours.queue_wait
    print(f"ours, top {TOP_STEPS} of {len(steps)} journal steps ({len(commands)} commands) by duration:")
    for s in sorted(leaf_steps(steps), key=lambda s: s["duration_ms"], reverse=True)[:TOP_STEPS]:
        kind = "cmd  " if s["is_command"] else "panel"
        package = s["section"].rsplit(" > ", 1)[-1] or "-"
        print(f"  {s['duration_ms'] / 1000:7.2f}s {kind} {package:<22} {short(s['description'])}")
    print("ours, by provisioning step:")
    for s in steps:
        if depth(s) == 1 and s not in leaf_steps(steps) and not s["is_command"]:
            print(f"  {s['duration_ms'] / 1000:7.2f}s {short(s['description'])}")
    print("ours, where the time goes:")
    print(f"  commands on the server: {ms_sum(commands):.2f}s in {len(commands)} commands, of which")
    print(
        f"    apt-get install: {ms_sum(apt_installs):.2f}s in {len(apt_installs) - len(apt_skipped)} runs "
        f"({len(apt_skipped)} more skipped: everything already installed)"
    )
    print(f"    apt-get update: {ms_sum(apt_updates):.2f}s in {len(apt_updates)} runs")
    print(f"  in the panel between commands (journal, database, ssh connects): {outside:.2f}s")
    print(f"    ssh connects: {ms_sum(connects):.2f}s in {len(connects)}")
    print(f"  queue wait (job created -> started): {ours.queue_wait:.2f}s")
    print(f"  CLI start-up and polling outside the job (wall - queued - ran): {cli:.2f}s")
    print("bare, phases:")
    for name, seconds in sorted(bare.phases, key=lambda p: p[1], reverse=True):
        print(f"  {seconds:7.2f}s {name}")
    print(f"  ssh session set-up and tear-down: {bare.wall - sum(s for _, s in bare.phases):.2f}s")
    print(
        f"one apt-get install with nothing to do costs {bare.apt_noop:.2f}s on the provisioned bare "
        f"server; ours runs {len(apt_installs) - len(apt_skipped)} installs, bare 1"
    )


def save(directory: Path, index: int, ours: OursRun, bare: BareRun) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"round{index + 1}-ours-job.json").write_text(json.dumps(ours.job, indent=1, default=str))
    (directory / f"round{index + 1}-bare-output.txt").write_text(bare.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--rounds", type=int, default=1, help="timed rounds of ours and bare (order alternates)"
    )
    parser.add_argument("--save", type=Path, help="write each round's job journal and bare output here")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # This process only renders the bare script from the product's values and templates.
        os.environ["BROKEFORGE_HOME"] = str(tmp / "render-home")
        os.environ.pop("BROKEFORGE_DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "brokeforge.settings"
        import django

        django.setup()
        bed = Testbed(cache_dir=default_cache_dir(), run_dir=tmp / "bed")
        bed.start()
        try:
            keys = local_keys(tmp, bed.root_key_path)
            warm = bed.boot("bench-warm")
            try:
                warmed = run_bare(warm, bare_script(warm.hostname, *keys))
                print(f"apt cache warmed (untimed bare run: {warmed.wall:.1f}s)", flush=True)
            finally:
                warm.stop()
            runs = [one_round(bed, tmp, index, keys) for index in range(args.rounds)]
        finally:
            bed.stop()

    for index, (ours, bare) in enumerate(runs):
        if args.save:
            save(args.save, index, ours, bare)
    # Each round's two runs are back to back and share the machine's load: compare within rounds.
    ratios = [o.measured / b.wall for o, b in runs]
    ratio = statistics.median(ratios)
    median_round = runs[min(range(len(runs)), key=lambda i: abs(ratios[i] - ratio))]
    ours_s = statistics.median(o.measured for o, _ in runs)
    bare_wall = statistics.median(b.wall for _, b in runs)
    wait_broke = any(o.wall is None for o, _ in runs)
    print(f"\nrounds: {args.rounds} (order alternates, ours first in round 1; times are medians)")
    if wait_broke:
        print(f"ours_s: {ours_s:.1f}  (servers verify start -> job finished_at: provision --wait broke)")
    else:
        print(f"ours_wall_s: {ours_s:.1f}  (servers verify start -> servers provision --wait exit)")
    for o, _ in runs:
        follow = "broke" if o.wall is None else f"exit at {o.wall:.1f}s"
        print(
            f"  verify {o.verify_wall:.1f}s, provision --wait {follow}; dispatch -> job end "
            f"{o.dispatch_to_end:.1f}s; job #{o.job['id']}: queued {o.queue_wait:.2f}s, ran "
            f"{o.job_duration:.1f}s ({o.job['started_at']} -> {o.job['finished_at']})"
        )
        if o.wait_error:
            print(f"  PRODUCT CLI ERROR: {o.wait_error}")
    print(f"ours_job_s: {statistics.median(o.job_duration for o, _ in runs):.1f}  (job started -> finished)")
    print(f"bare_wall_s: {bare_wall:.1f}  (one ssh session running the script)")
    met = ratio <= TARGET_VS_BARE
    print(f"\nanalysis of round {runs.index(median_round) + 1} (its ratio is the median):")
    report_analysis(*median_round)
    print(f"\nratio per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"ratio_vs_bare: {ratio:.2f}  (median of the rounds' ours / bare)")
    print(f"targets: {'met' if met else 'MISSED'} (vs bare <= {TARGET_VS_BARE})")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
