#!/usr/bin/env bash
# Install everything the tests need (apt and Python packages) and run every test: lint, types,
# unit, web, CLI, integration against real Debian servers, end to end, browser; the queue tests
# once more on PostgreSQL. Run as root: the tests boot servers with systemd-nspawn.
# Ends with a table of how long each tier took (and, in the main run, each test directory),
# then pytest's summary line again as the last line. Arguments go to the main pytest run (one
# run then; without arguments the end-to-end tests run beside the others, in a second run).
# Reused across runs from $BROKEFORGE_TEST_CACHE: the venv, the test servers' images (built
# by the first test that needs each, once per run, rebuilt when their inputs change: see
# tests/testbed/README.md) and the apt cache the servers install through.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

if [ "$(id -u)" != 0 ]; then
    echo "Run as root: the tests boot Debian servers in network namespaces." >&2
    exit 1
fi

# -- tier timings: each tier's name and seconds, one per line, for the table at the end --
TIMING_DIR=$(mktemp -d /tmp/brokeforge-test-timings.XXXXXX)
TIERS="$TIMING_DIR/tiers.tsv"
: > "$TIERS"
now() { echo "${EPOCHREALTIME/,/.}"; }  # the locale may write a decimal comma
tier_start() { TIER_NAME=$1; TIER_STARTED=$(now); echo "== $1"; }
tier_end() { printf '%s\t%s\n' "$TIER_NAME" "$(awk "BEGIN { print $(now) - $TIER_STARTED }")" >> "$TIERS"; }
MAIN_TIER="all tests (SQLite)"

CACHE=${BROKEFORGE_TEST_CACHE:-/var/cache/brokeforge-test}
mkdir -p "$CACHE"

tier_start "setup: apt packages, venv, pip"

APT_PACKAGES=(python3-venv systemd-container mmdebstrap apt-cacher-ng openssh-client iproute2
    curl ca-certificates chromium postgresql fonts-dejavu-core nginx libnss3-tools pebble)
missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    # No daemon may start on install: the tests start their own apt cache and PostgreSQL, by PID.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
fi

# The virtualenv lives in the cache, reused while requirements-test.txt stays the same.
VENV="$CACHE/venv-$(sha256sum requirements.txt requirements-test.txt | sha256sum | cut -c1-12)"
# A venv cannot be moved (its scripts name their interpreter by path): build it in place and
# mark it complete last, so an interrupted build is redone rather than used.
if [ ! -f "$VENV/.complete" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r requirements-test.txt
    touch "$VENV/.complete"
fi
"$VENV/bin/pip" install -q --no-deps -e .
PY="$VENV/bin/python"
tier_end
trap 'rm -rf "$TIMING_DIR"' EXIT

tier_start "lint (ruff) + types (mypy)"
"$VENV/bin/ruff" format --check .
"$VENV/bin/ruff" check .
"$VENV/bin/mypy" brokeforge
tier_end

export BROKEFORGE_HOME
BROKEFORGE_HOME=$(mktemp -d /tmp/brokeforge-test-home.XXXXXX)
export BROKEFORGE_TEST_ARTIFACTS="$REPO/test-artifacts"
export PATH="$VENV/bin:$PATH"

status=0
tier_start "queue tests on PostgreSQL"
"$PY" -m tests.pg_run -- "$PY" -m pytest tests/queue -q -p no:cacheprovider || status=1
tier_end

tier_start "$MAIN_TIER"
# The per-directory times come from tests/conftest_testbed.py's hooks (tests/testbed/timings.py).
# Without arguments, three runs go side by side, each with its own data and its own test bed slot:
# the end-to-end tests in two halves (servers waiting on servers, most of the time) and the rest.
run_part() {  # NAME PYTEST_ARGS...: one pytest run, its log and timings named NAME
    local name=$1 home code
    shift
    home=$(mktemp -d /tmp/brokeforge-test-home.XXXXXX)
    BROKEFORGE_HOME=$home BROKEFORGE_TEST_TIMINGS="$TIMING_DIR/$name.json" \
        "$PY" -m pytest -q -p no:cacheprovider "$@" > "$TIMING_DIR/$name.log" 2>&1
    code=$?
    rm -rf "$home"
    return $code
}
set +e
if [ $# -gt 0 ]; then
    PARTS=(main)
    run_part main "$@"
    pytest_status=$?
    cat "$TIMING_DIR/main.log"
else
    # The end-to-end tests in two halves of about the same length (each its own servers), a new
    # e2e file joins the second; the rest beside them.
    E2E_FIRST=(test_provision_from_scratch test_deployments test_git_repository test_firewall_rules
        test_connect_failures)
    first=() rest_of_e2e=()
    for name in "${E2E_FIRST[@]}"; do
        first+=("tests/e2e/$name.py")
        rest_of_e2e+=("--ignore=tests/e2e/$name.py")
    done
    PARTS=(e2e-1 e2e-2 rest)
    run_part e2e-1 "${first[@]}" &
    e2e1_pid=$!
    run_part e2e-2 tests/e2e "${rest_of_e2e[@]}" &
    e2e2_pid=$!
    run_part rest --ignore=tests/e2e
    pytest_status=$?
    for pid in "$e2e1_pid" "$e2e2_pid"; do
        wait "$pid"
        code=$?
        if [ "$pytest_status" -eq 0 ]; then pytest_status=$code; fi
    done
    for part in "${PARTS[@]}"; do echo "-- $part"; cat "$TIMING_DIR/$part.log"; done
fi
set -e
tier_end
rm -rf "$BROKEFORGE_HOME"
if [ "$pytest_status" -ne 0 ]; then status=$pytest_status; fi

echo
echo "== timings"
"$PY" -m tests.testbed.timings "$TIERS" "$MAIN_TIER" "${PARTS[@]/#/$TIMING_DIR/}" || true
# CI reads the last line: pytest's summary ("N passed, M failed in ...s"), of both runs together.
summary=$("$PY" -m tests.testbed.timings --summary "$(tail -n 1 "$TIERS" | cut -f2)" \
    "${PARTS[@]/#/$TIMING_DIR/}" || true)
rm -rf "$TIMING_DIR"
echo "$summary"
exit $status
