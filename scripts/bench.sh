#!/usr/bin/env bash
# Builds the benchmark suite (bench/, package mio-bench) in release mode and
# runs every workload against this crate, upstream mio 1.2.5, polling 3 and
# a raw epoll loop, interleaved. Writes the table, the CSV and the chart.
#
#   scripts/bench.sh            full run (7 rounds, 300 ms per run; a few
#                               minutes): bench/results/latest.{md,csv},
#                               bench/results/ratios.svg
#   scripts/bench.sh --quick    smoke check (3 rounds, 25 ms per run, fan-in
#                               at 1,000 only; a few seconds):
#                               bench/results/quick.{md,csv,svg}
#
# Other arguments go to mio-bench as they are, e.g. `--rounds 11`,
# `--time-ms 500`, `--only pingpong,waker`. See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

mode=full
for arg in "$@"; do
    if [ "$arg" = "--quick" ]; then mode=quick; fi
done
results=bench/results
mkdir -p "$results"
if [ "$mode" = quick ]; then
    name=quick
    svg="$results/quick.svg"
else
    name=latest
    svg="$results/ratios.svg"
fi
csv="$results/$name.csv"
md="$results/$name.md"

echo "== building (release)" >&2
nice -n 5 cargo build --release -p mio-bench --bins >&2
bin="$CARGO_TARGET_DIR/release/mio-bench"
chart="$CARGO_TARGET_DIR/release/chart"

table=$(mktemp)
trap 'rm -f "$table"' EXIT

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== running ($mode): $bin $*" >&2
"$bin" --md "$table" --csv "$csv" "$@" >/dev/null
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$chart" "$csv" "$svg" >&2

{
    echo "# mio-bench results ($mode)"
    echo
    echo "* command: \`scripts/bench.sh${*:+ $*}\`"
    echo "* date: $started"
    echo "* machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
    echo "* tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes under src/')"
    echo "* rustc: $(rustc --version)"
    echo "* load average (1, 5, 15 min): $load_before before, $load_after after"
    echo
    cat "$table"
    echo
    echo "Chart: \`$svg\`. CSV: \`$csv\`."
} >"$md"

cat "$md"
