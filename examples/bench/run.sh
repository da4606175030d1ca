#!/usr/bin/env bash
# The side-by-side benchmark of pw's quickstart (SQLite, PostgreSQL) and an
# Express listener on Paymentwall's official Node library (see README.md
# beside this file). Installs the Node packages (npm ci) when
# package-lock.json changed, builds the quickstart and the load generator in
# release, then runs bench.js with the arguments given, e.g.:
#
#   examples/bench/run.sh                       # 1, 8, 32 connections, 10,000 pingbacks each
#   examples/bench/run.sh --rounds 3            # each measured three times, alternating
#   examples/bench/run.sh --slow-only           # the slow-handler scenario alone
#
# Needs: cargo, Node 20+ with npm, PostgreSQL on PW_BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/test) and its psql client.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

for tool in cargo node npm psql; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 2; }
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "error: Node $(node --version) is too old: the baseline needs Node 20 or later" >&2
    exit 2
fi

cd "$here"
stamp=node_modules/.pw-bench-package-lock.json
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
    echo "installing the baseline's Node packages (npm ci; better-sqlite3 may compile for a few minutes)" >&2
    npm ci --no-audit --no-fund >&2
    cp package-lock.json "$stamp"
fi

cd "$root"
echo "building the quickstart and the load generator in release" >&2
cargo build --release --quiet -p pw-examples --example quickstart --example load >&2

exec node "$here/bench.js" "$@"
