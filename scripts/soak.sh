#!/usr/bin/env bash
# The soak test (soak/, package mio-soak): 19,000 simultaneous loopback TCP
# connections through one Poll, every byte of both directions verified, on
# the epoll backend and on the poll(2) backend
# (RUSTFLAGS="--cfg mio_unsupported_force_poll_poll").
#
#   scripts/soak.sh            120 s of traffic per backend
#   scripts/soak.sh --ci       45 s per backend: about 2.5 minutes for both on
#                              a 2-core machine, builds included
#   scripts/soak.sh --long     30 minutes per backend
#   scripts/soak.sh [mode] --backend epoll|poll|kqueue   one backend only
#                              (kqueue: over libkqueue, see scripts/kqueue.sh)
#   scripts/soak.sh [mode] -- ARGS...             more mio-soak options
#                              (see `mio-soak --help`), e.g. -- --seconds 600
#
# Each backend has its own target directory (target/soak-epoll,
# target/soak-poll). Fails if any run fails; both backends run regardless.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=120
backends=(epoll poll)
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --ci) seconds=45 ;;
        --long) seconds=1800 ;;
        --backend)
            shift
            backends=("$1")
            ;;
        --)
            shift
            extra=("$@")
            break
            ;;
        *)
            echo "usage: $0 [--ci|--long] [--backend epoll|poll|kqueue] [-- mio-soak options]" >&2
            exit 2
            ;;
    esac
    shift
done

echo "soak: ulimit -n $(ulimit -n), $(nproc) CPUs, ${seconds} s of traffic per backend"

build() {
    local backend=$1 flags=$2
    echo "=== build mio-soak for $backend (RUSTFLAGS=\"$flags\")"
    env RUSTFLAGS="$flags" CARGO_TARGET_DIR="$root/target/soak-$backend" \
        nice -n 5 cargo build --release --quiet -p mio-soak
}

failed=()
for backend in "${backends[@]}"; do
    backend_args=()
    case "$backend" in
        epoll) flags="${RUSTFLAGS:-}" ;;
        poll) flags="${RUSTFLAGS:-} --cfg mio_unsupported_force_poll_poll" ;;
        # Over libkqueue, which scripts/kqueue.sh builds (not in the default
        # set: scripts/kqueue.sh runs it).
        # libkqueue hands out at most 512 kevents a call, turns each epoll
        # event of a socket registered both ways into two (READ and WRITE),
        # and drops the epoll events whose kevents do not fit: their edges
        # are lost. A kernel kqueue has no such limit. Up to 250 sockets per
        # process stay within it, so the kqueue soak runs 250 connections,
        # each at a higher rate.
        kqueue)
            flags="${RUSTFLAGS:-} $("$root/scripts/kqueue.sh" --rustflags)"
            backend_args=(--connections 250 --rate 65536)
            ;;
        *)
            echo "unknown backend $backend" >&2
            exit 2
            ;;
    esac
    build "$backend" "$flags"
    echo "=== soak on $backend"
    started=$(date +%s)
    log="$root/target/soak-$backend/soak.log"
    # The program bounds itself (stall and connect timeouts); `timeout` is
    # only a last resort against a hang the program cannot see. With
    # pipefail, the pipeline fails when mio-soak does.
    if timeout --signal=KILL $((seconds + 900)) \
        "$root/target/soak-$backend/release/mio-soak" --seconds "$seconds" \
        ${backend_args[@]+"${backend_args[@]}"} ${extra[@]+"${extra[@]}"} \
        2>&1 | tee "$log"; then
        status=0
    else
        status=1
    fi
    if [ "$backend" = poll ] && grep -q 'backend:        epoll' "$log"; then
        echo "note: --cfg mio_unsupported_force_poll_poll still built the epoll backend"
    fi
    echo "=== soak on $backend: $([ $status = 0 ] && echo PASS || echo FAIL) in $(($(date +%s) - started)) s (log: $log)"
    if [ $status != 0 ]; then
        failed+=("$backend")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "soak FAILED on: ${failed[*]}"
    exit 1
fi
echo "soak passed on: ${backends[*]}"
