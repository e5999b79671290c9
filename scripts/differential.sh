#!/usr/bin/env bash
# Differential scenarios across selector backends (tests/differential/).
#
# Builds the scenario runner once per backend (own CARGO_TARGET_DIR each),
# runs the same seeds on every backend, each run checking its own rules (no
# event for a dead token, no missed readiness that poll(2) shows, wakes
# arrive), then diffs the per-step summaries, which depend only on the seed
# and the kernel. Every failure names its seed.
#
#   scripts/differential.sh [--seeds N] [--from S] [--steps K]
#   scripts/differential.sh --seed S [--verbose]   replay one seed
#   scripts/differential.sh --ci                   1000 seeds x 100 steps
#   BACKENDS="epoll poll kqueue" scripts/differential.sh ...
#
# Backends: epoll (default build), poll (--cfg mio_unsupported_force_poll_poll),
# kqueue (--cfg mio_unsupported_force_kqueue, over libkqueue; needs the
# build to find libkqueue, see PLATFORMS.md: not in the default list).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

from=1
seeds=200
steps=100
seed=
verbose=
while [[ $# -gt 0 ]]; do
    case $1 in
        --seeds) seeds=$2; shift 2 ;;
        --from) from=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --verbose) verbose=--verbose; shift ;;
        --ci) from=1; seeds=1000; steps=100; shift ;;
        *) echo "usage: $0 [--seeds N] [--from S] [--steps K] | --seed S [--verbose] | --ci" >&2
           exit 2 ;;
    esac
done
read -r -a backends <<< "${BACKENDS:-epoll poll}"

flags_for() {
    case $1 in
        epoll) echo "" ;;
        poll) echo "--cfg mio_unsupported_force_poll_poll" ;;
        kqueue) echo "--cfg mio_unsupported_force_kqueue" ;;
        *) echo "unknown backend $1" >&2; exit 2 ;;
    esac
}
dir_for() {
    case $1 in
        epoll) echo "$root/target" ;;
        *) echo "$root/target/$1" ;;
    esac
}

out="$root/target/differential"
rm -rf "$out"
declare -A binary
for backend in "${backends[@]}"; do
    echo "=== differential: building for $backend"
    binary[$backend]=$(
        CARGO_TARGET_DIR=$(dir_for "$backend") RUSTFLAGS="$(flags_for "$backend")" \
            cargo test --all-features --test differential --no-run --message-format=json 2>/dev/null |
            python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "differential" and m.get("executable"):
        print(m["executable"])' | tail -1
    )
    [[ -n ${binary[$backend]} ]] || { echo "build for $backend failed" >&2; exit 1; }
done

if [[ -n $seed ]]; then
    range=(--seed "$seed")
else
    range=(--from "$from" --seeds "$seeds")
fi
status=0
pids=()
for backend in "${backends[@]}"; do
    echo "=== differential: $backend, ${range[*]}, $steps steps"
    "${binary[$backend]}" "${range[@]}" --steps "$steps" --out "$out/$backend" $verbose \
        2> >(sed "s/^/[$backend] /" >&2) &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done

# Cross-backend: the summaries of one seed must be identical.
first=${backends[0]}
for backend in "${backends[@]:1}"; do
    for file in "$out/$first"/*.txt; do
        name=$(basename "$file")
        if ! diff -q "$file" "$out/$backend/$name" >/dev/null; then
            echo "DIFFERENCE seed ${name%.txt}: $first vs $backend" >&2
            diff "$file" "$out/$backend/$name" | head -20 >&2
            status=1
        fi
    done
done
if [[ $status -eq 0 ]]; then
    echo "differential: ok (${backends[*]})"
else
    echo "differential: FAILED (replay: $0 --seed S --verbose)" >&2
fi
exit $status
