#!/usr/bin/env bash
# Runs every fuzz target for the given number of seconds each (default 120), with the
# committed seeds. Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Not part of CI: the reliability tests in the normal suite run property tests instead.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-120}"
for t in graph_responses config register targets; do
  mkdir -p "corpus/$t" "seeds/$t"
  echo "== $t (${secs} s)"
  cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|==[0-9]+==|SUMMARY|Done)" || true
done
