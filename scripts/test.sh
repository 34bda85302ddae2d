#!/usr/bin/env bash
# Install everything the tests need (apt and Python packages) and run every test: lint, types,
# unit, web, CLI, integration against real Debian servers, end to end, browser; the queue tests
# once more on PostgreSQL. Run as root: the tests boot servers with systemd-nspawn.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

if [ "$(id -u)" != 0 ]; then
    echo "Run as root: the tests boot Debian servers in network namespaces." >&2
    exit 1
fi

CACHE=${BROKEFORGE_TEST_CACHE:-/var/cache/brokeforge-test}
mkdir -p "$CACHE"

APT_PACKAGES=(python3-venv systemd-container mmdebstrap apt-cacher-ng openssh-client iproute2
    curl ca-certificates chromium postgresql fonts-dejavu-core)
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

echo "== ruff"
"$VENV/bin/ruff" format --check .
"$VENV/bin/ruff" check .
echo "== mypy"
"$VENV/bin/mypy" brokeforge

export BROKEFORGE_HOME
BROKEFORGE_HOME=$(mktemp -d /tmp/brokeforge-test-home.XXXXXX)
export BROKEFORGE_TEST_ARTIFACTS="$REPO/test-artifacts"
export PATH="$VENV/bin:$PATH"

status=0
echo "== queue tests on PostgreSQL"
"$PY" -m tests.pg_run -- "$PY" -m pytest tests/queue -q -p no:cacheprovider || status=1

echo "== all tests (SQLite)"
set +e
"$PY" -m pytest -q -p no:cacheprovider "$@"
pytest_status=$?
set -e
rm -rf "$BROKEFORGE_HOME"
if [ $pytest_status -ne 0 ]; then status=$pytest_status; fi
exit $status
