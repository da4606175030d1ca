#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one process, from the
# committed seeds (seeds/TARGET) into a working corpus (corpus/TARGET, not
# committed). Fails on any crash, hang (one input over 10 s) or out-of-memory
# (2 GiB); libFuzzer then writes the input to artifacts/TARGET/.
#
#   pw-runtime/fuzz/run.sh          # a minute each
#   pw-runtime/fuzz/run.sh 3600     # an hour each
#   pw-runtime/fuzz/run.sh 60 params verify   # some targets only
#
# Needs the nightly toolchain and cargo-fuzz (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "the nightly toolchain is needed: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== fuzz target $target: ${seconds} s"
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "no crash, hang or out-of-memory in ${#targets[@]} fuzz targets"
echo "fuzz: ${#targets[@]} passed, 0 failed"
