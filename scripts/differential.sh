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
#   BACKENDS="epoll poll" scripts/differential.sh ...   a subset
#
# Backends (all three by default): epoll (default build), poll
# (--cfg mio_unsupported_force_poll_poll, in target/poll), kqueue
# (--cfg mio_unsupported_force_kqueue over libkqueue, flags from
# scripts/kqueue.sh --rustflags, which builds libkqueue; in target/kqueue,
# shared with scripts/kqueue.sh). libkqueue is an emulation on epoll; the
# runner is told (MIO_DIFFERENTIAL_LIBKQUEUE=1) and relaxes, for that run
# only, the few things libkqueue does differently from a kernel kqueue: see
# `libkqueue` in tests/differential/main.rs.
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
read -r -a backends <<< "${BACKENDS:-epoll poll kqueue}"

flags_for() {
    case $1 in
        epoll) echo "" ;;
        poll) echo "--cfg mio_unsupported_force_poll_poll" ;;
        kqueue) "$root/scripts/kqueue.sh" --rustflags ;;
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
    flags=$(flags_for "$backend")
    binary[$backend]=$(
        CARGO_TARGET_DIR=$(dir_for "$backend") RUSTFLAGS="$flags" \
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
    libkqueue=0
    [[ $backend == kqueue ]] && libkqueue=1
    MIO_DIFFERENTIAL_LIBKQUEUE=$libkqueue "${binary[$backend]}" "${range[@]}" --steps "$steps" --out "$out/$backend" $verbose \
        2> >(sed "s/^/[$backend] /" >&2) &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done

# Cross-backend: the summaries of one seed must be identical, except that a
# step whose I/O outcome the libkqueue run marked `libkqueue:` (libkqueue took
# the socket's SO_ERROR with an earlier error event, see
# tests/differential/main.rs) is compared without that outcome.
first=${backends[0]}
for backend in "${backends[@]:1}"; do
    python3 - "$out/$first" "$out/$backend" "$first" "$backend" <<'PY' || status=1
import os, re, sys
left, right, lname, rname = sys.argv[1:]
outcome = re.compile(r"-> (libkqueue:)?\S+ \|")
def relaxed(a, b):
    if "-> libkqueue:" not in a and "-> libkqueue:" not in b:
        return a, b
    return outcome.sub("-> * |", a), outcome.sub("-> * |", b)
failed = False
for name in sorted(os.listdir(left), key=lambda n: int(n.split(".")[0])):
    a = open(os.path.join(left, name)).read().splitlines()
    try:
        b = open(os.path.join(right, name)).read().splitlines()
    except FileNotFoundError:
        b = []
    shown = 0
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else "<missing>"
        y = b[i] if i < len(b) else "<missing>"
        x2, y2 = relaxed(x, y)
        if x2 != y2:
            if shown == 0:
                print(f"DIFFERENCE seed {name[:-4]}: {lname} vs {rname}", file=sys.stderr)
            if shown < 5:
                print(f"< {x}\n> {y}", file=sys.stderr)
            shown += 1
            failed = True
sys.exit(1 if failed else 0)
PY
done
if [[ $status -eq 0 ]]; then
    echo "differential: ok (${backends[*]})"
else
    echo "differential: FAILED (replay: $0 --seed S --verbose)" >&2
fi
exit $status
