#!/usr/bin/env bash
# Runs the use-case examples and checks what they print.
#
#   scripts/examples.sh [--ci] [--no-windows]
#
# 1. The high-connection server: tcp_server and tcp_load (its own process)
#    together, on Linux epoll and on the poll(2) backend
#    (--cfg mio_unsupported_force_poll_poll, target dir target/poll).
#    tcp_load checks every echoed byte and exits non-zero on any mismatch or
#    connection error. Default 10,000 connections for 5 s; --ci: 2,000.
# 2. The async layer that allocates nothing: async_runtime
#    --check-allocations with an in-process client load, on both backends;
#    it must report 0 allocations after warm-up.
# 3. One program on every platform: the same tcp_server and tcp_load built
#    for x86_64-pc-windows-gnu (target dir target/windows) and run under
#    wine (200 connections, 3 s), plus async_runtime --check-allocations.
#    --no-windows skips this part. (The WASI run lives with the WASI
#    support.)
#
# Linux builds are release builds (the figures are throughput); the wine
# build is a debug build, shared with scripts/windows.sh. Every program runs
# under `timeout`; the servers stop through their --stop-file.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ci=0
windows=1
while [ $# -gt 0 ]; do
    case "$1" in
        --ci) ci=1; shift ;;
        --no-windows) windows=0; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

export CARGO_TERM_COLOR=never
if [ "$ci" = 1 ]; then connections=2000; else connections=10000; fi
seconds=5
examples=(--example tcp_server --example tcp_load --example async_runtime)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_pair LABEL DIR CONNECTIONS SECONDS [RUNNER]: tcp_server from DIR in
# the background, tcp_load from DIR against it; then the server is stopped
# and both outputs printed. Fails if tcp_load fails.
run_pair() {
    local label=$1 dir=$2 conns=$3 secs=$4 runner=${5:-}
    local ext=""
    [ -n "$runner" ] && ext=.exe
    local port stop log rc=0 server
    port=$(free_port)
    stop="$tmp/stop-$port"
    log="$tmp/server-$port.log"
    echo
    echo "=== examples: $label: tcp_server + tcp_load, $conns connections, $secs s"
    # shellcheck disable=SC2086 # $runner is empty or one word
    timeout $((secs + 120)) $runner "$dir/tcp_server$ext" "127.0.0.1:$port" \
        --stop-file "$stop" --seconds $((secs + 110)) >"$log" 2>&1 &
    server=$!
    # shellcheck disable=SC2086
    timeout $((secs + 100)) $runner "$dir/tcp_load$ext" "127.0.0.1:$port" \
        --connections "$conns" --seconds "$secs" || rc=$?
    touch "$stop"
    wait "$server" || { echo "tcp_server exited with status $?"; rc=1; }
    echo "--- tcp_server output"
    cat "$log"
    if [ "$rc" != 0 ]; then
        echo "=== examples: $label: FAILED (tcp_load status $rc)"
        return 1
    fi
    echo "=== examples: $label: ok"
}

# check_allocations LABEL EXE [RUNNER]: the async runtime with a client load
# must report 0 allocations after warm-up.
check_allocations() {
    local label=$1 exe=$2 runner=${3:-} clients=${4:-50} messages=${5:-2000}
    local out="$tmp/alloc.out" rc=0
    echo
    echo "=== examples: $label: async_runtime --check-allocations"
    # shellcheck disable=SC2086
    timeout 180 $runner "$exe" --clients "$clients" --messages "$messages" \
        --check-allocations >"$out" 2>&1 || rc=$?
    cat "$out"
    if [ "$rc" != 0 ] || ! grep -q "^allocations after warm-up: 0 in" "$out"; then
        echo "=== examples: $label: FAILED (status $rc, expected 0 allocations)"
        return 1
    fi
    echo "=== examples: $label: ok, 0 allocations per message"
}

echo "=== examples: building (epoll, release)"
nice -n 5 cargo build -q --release --all-features "${examples[@]}"
run_pair "linux epoll" target/release/examples "$connections" "$seconds"
check_allocations "linux epoll" target/release/examples/async_runtime

echo
echo "=== examples: building (poll(2), release, target/poll)"
RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" CARGO_TARGET_DIR=target/poll \
    nice -n 5 cargo build -q --release --all-features "${examples[@]}"
run_pair "linux poll(2)" target/poll/release/examples "$connections" "$seconds"
check_allocations "linux poll(2)" target/poll/release/examples/async_runtime

if [ "$windows" = 1 ]; then
    echo
    echo "=== examples: building (x86_64-pc-windows-gnu, target/windows)"
    eval "$(scripts/wine-env.sh)"
    CARGO_TARGET_DIR=target/windows nice -n 5 cargo build -q --all-features \
        --target x86_64-pc-windows-gnu "${examples[@]}"
    win=target/windows/x86_64-pc-windows-gnu/debug/examples
    run_pair "windows (wine)" "$win" 200 3 wine
    check_allocations "windows (wine)" "$win/async_runtime.exe" wine 8 300
fi

echo
echo "=== examples: all ok"
