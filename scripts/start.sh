#!/usr/bin/env bash
# Install what the panel needs and start it on its embedded default: SQLite in $BROKEFORGE_HOME
# (default: ./var), the web panel on http://127.0.0.1:8000, job workers started alongside.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! python3 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    echo "BrokeForge needs Python 3.11 (Debian 12's python3)." >&2
    exit 1
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.brokeforge-requirements
if ! cmp -s requirements.txt "$stamp"; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -r requirements.txt
    cp requirements.txt "$stamp"
fi
.venv/bin/pip install -q --no-deps -e .
exec .venv/bin/brokeforge serve "$@"
