#!/usr/bin/env bash
# The kqueue backend (macOS, iOS, the BSDs) run on Linux, over libkqueue: a
# user-space kqueue(2)/kevent(2) built on epoll, eventfd and timerfd. The
# test cfg `mio_unsupported_force_kqueue` selects the kqueue selector, its
# EVFILT_USER Waker and its EVFILT_TIMER Timer, linked against libkqueue.
# This is an emulation: see README.md for what it does not cover.
#
#   scripts/kqueue.sh          build libkqueue, then run the crate's whole
#                              suite (--all-features), Tokio's --ci subset
#                              and the soak (--ci) on the kqueue backend
#   scripts/kqueue.sh --ci     the same (the Tokio and soak steps are their
#                              bounded CI modes already)
#   scripts/kqueue.sh --suite  the crate's suite only
#   scripts/kqueue.sh --tokio-full
#                              Tokio's whole suite instead of its --ci subset
#   scripts/kqueue.sh --env    build libkqueue, print the `export` lines:
#                              after `eval "$(scripts/kqueue.sh --env)"` any
#                              cargo command builds and runs on kqueue
#                              (Tokio's suite with the [patch] included)
#   scripts/kqueue.sh --rustflags
#                              print just the RUSTFLAGS (for other scripts)
#
# libkqueue's source is the vendored copy in ../shared/vendor/libkqueue,
# built by ../shared/tools/libkqueue-build.sh into target/libkqueue (about
# 5 s, plain cc). Everything builds in target/kqueue*.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=all
case "${1:-}" in
    "" | --ci) mode=all ;;
    --suite) mode=suite ;;
    --tokio-full) mode=tokio-full ;;
    --env) mode=env ;;
    --rustflags) mode=rustflags ;;
    *)
        echo "usage: $0 [--ci|--suite|--tokio-full|--env|--rustflags]" >&2
        exit 2
        ;;
esac

# The read-only shared/ folder sits beside the checkout (CI lays it there).
shared=""
for dir in "${MIO_SHARED:-}" "$root/../shared" "/work/shared"; do
    if [ -n "$dir" ] && [ -x "$dir/tools/libkqueue-build.sh" ] || [ -f "$dir/tools/libkqueue-build.sh" ]; then
        shared=$dir
        break
    fi
done
lib="$root/target/libkqueue"

build_libkqueue() {
    if [ -f "$lib/libkqueue.a" ]; then
        return
    fi
    if [ -z "$shared" ]; then
        echo "kqueue.sh: libkqueue's source not found (set MIO_SHARED to the shared/ folder)" >&2
        exit 1
    fi
    if ! command -v cc >/dev/null; then
        apt-get install -y build-essential >&2
    fi
    sh "$shared/tools/libkqueue-build.sh" "$lib" >&2
}

flags="--cfg mio_unsupported_force_kqueue -L native=$lib"

case "$mode" in
    rustflags)
        build_libkqueue
        echo "$flags"
        exit 0
        ;;
    env)
        build_libkqueue
        echo "export RUSTFLAGS=\"$flags\""
        echo "export CARGO_TARGET_DIR=\"$root/target/kqueue\""
        exit 0
        ;;
esac

build_libkqueue
timings=()
step() {
    local name=$1
    shift
    echo "=== kqueue: $name"
    local t0=$(date +%s)
    "$@"
    local took=$(($(date +%s) - t0))
    timings+=("$(printf '%-24s %5ss' "$name" "$took")")
    echo "=== kqueue: $name ok in ${took}s"
}

suite() {
    env RUSTFLAGS="$flags" CARGO_TARGET_DIR="$root/target/kqueue" \
        cargo test --all-features
}

# Tokio compiles its Linux-only tests here (the target is Linux); those that
# need a Linux kernel feature kqueue does not have are left out:
# priority_event_on_oob_data waits for EPOLLPRI (kqueue has no priority
# readiness; Tokio does not build the test on kqueue systems). One more is
# libkqueue's: send_to_recv_closed_returns_err expects the ICMP error of a
# UDP send to come back from `recv`, but libkqueue reads (and so clears)
# SO_ERROR when it reports the event and flags it EV_EOF, so `recv` only
# ever says WouldBlock and the test waits for ever; epollhup (uds_stream)
# expects the refused connect's error from take_error, which libkqueue has
# cleared the same way.
export TOKIO_SUITE_SKIP="priority_event_on_oob_data send_to_recv_closed_returns_err epollhup"

step "suite" suite
if [ "$mode" = suite ]; then
    exit 0
fi
if [ "$mode" = tokio-full ]; then
    step "tokio suite (full)" env RUSTFLAGS="$flags" \
        scripts/tokio-suite.sh --work "$root/target/tokio-suite-kqueue"
else
    step "tokio suite (ci subset)" env RUSTFLAGS="$flags" \
        scripts/tokio-suite.sh --ci --work "$root/target/tokio-suite-kqueue"
fi
step "soak (ci)" scripts/soak.sh --ci --backend kqueue

echo
for t in "${timings[@]}"; do echo "$t"; done
