#!/usr/bin/env bash
# WASI: builds and runs mio under real WebAssembly runtimes.
#
#   scripts/wasi.sh
#
# 1. Installs the wasm32-wasip1 and wasm32-wasip2 targets and jco (pinned,
#    into target/jco; nothing global).
# 2. wasip2: runs the networking test files under `jco run` (preview 2 with
#    loopback TCP/UDP), one cargo invocation per file, each bounded.
# 3. wasip1: runs the Poll/timeout test files under Node's built-in WASI
#    (scripts/wasi-p1-runner.mjs; clocks and poll_oneoff, no sockets).
# 4. Compile checks of the library and every test with --all-features for
#    both targets.
# 5. Runs examples/wasi_echo.rs under jco and talks to it from Linux
#    (python3): two clients, each sends, reads its echo back and closes;
#    the server exits by itself after them.
#
# Prints the time each step took; exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
JCO_VERSION=1.35.0
JCO_DIR=$ROOT/target/jco
JCO=$JCO_DIR/node_modules/.bin/jco
# Bounds for each runner invocation (seconds).
TEST_TIMEOUT=${WASI_TEST_TIMEOUT:-600}
ECHO_TIMEOUT=${WASI_ECHO_TIMEOUT:-120}

step() {
    local name=$1
    shift
    local start=$SECONDS
    echo "=== $name"
    "$@"
    echo "=== $name: ok in $((SECONDS - start))s"
}

install() {
    rustup target add wasm32-wasip1 wasm32-wasip2
    if [[ ! -x $JCO ]] || [[ $("$JCO" --version 2>/dev/null) != "$JCO_VERSION" ]]; then
        mkdir -p "$JCO_DIR"
        (cd "$JCO_DIR" && npm install --no-audit --no-fund --silent "@bytecodealliance/jco@$JCO_VERSION")
    fi
    "$JCO" --version
}

# The networking suite: every file here passes under jco; tests that need
# what WASI lacks (threads, Unix sockets, pipes, signals, ...) are cfg'd
# out inside the files, each with the reason.
P2_TESTS=(events poll waker socket_registration tcp_listener tcp_stream tcp udp_socket)

wasip2_tests() {
    local t
    for t in "${P2_TESTS[@]}"; do
        echo "--- wasip2: $t"
        CARGO_TARGET_WASM32_WASIP2_RUNNER="timeout $TEST_TIMEOUT $JCO run" \
            nice -n 5 cargo test --target wasm32-wasip2 --features "os-poll net" --test "$t"
    done
    # The library's unit tests (the poll(2) selector's, the socket address
    # conversions, ...).
    echo "--- wasip2: --lib"
    CARGO_TARGET_WASM32_WASIP2_RUNNER="timeout $TEST_TIMEOUT $JCO run" \
        nice -n 5 cargo test --target wasm32-wasip2 --features "os-poll net" --lib
}

# Preview 1 has no Waker and no socket constructors: the Poll and timeout
# tests are what Node's WASI can run.
P1_TESTS=(poll events)

wasip1_tests() {
    local t
    for t in "${P1_TESTS[@]}"; do
        echo "--- wasip1: $t"
        CARGO_TARGET_WASM32_WASIP1_RUNNER="timeout $TEST_TIMEOUT node --no-warnings $ROOT/scripts/wasi-p1-runner.mjs" \
            nice -n 5 cargo test --target wasm32-wasip1 --features "os-poll net" --test "$t"
    done
}

compile_checks() {
    local target
    for target in wasm32-wasip1 wasm32-wasip2; do
        echo "--- check: $target"
        nice -n 5 cargo check --target "$target"
        nice -n 5 cargo check --target "$target" --features "os-poll net"
        nice -n 5 cargo check --target "$target" --all-features --tests
    done
}

echo_example() {
    nice -n 5 cargo build --target wasm32-wasip2 --features "os-poll net" --example wasi_echo
    local wasm=${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip2/debug/examples/wasi_echo.wasm
    local log
    log=$(mktemp)
    # Port 0: the server prints the port it got.
    timeout "$ECHO_TIMEOUT" "$JCO" run "$wasm" 127.0.0.1:0 2 60 >"$log" 2>&1 &
    local pid=$!
    local port=""
    for _ in $(seq 1 300); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
        [[ -n $port ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $port ]]; then
        echo "wasi_echo did not start:"
        cat "$log"
        kill "$pid" 2>/dev/null || true
        return 1
    fi
    echo "wasi_echo listens on port $port"
    python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
for i in range(2):
    payload = bytes((i * 31 + j) % 256 for j in range(100_000))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        assert got == payload, f"client {i}: {len(got)} of {len(payload)} bytes echoed"
    print(f"client {i}: {len(payload)} bytes echoed")
PY
    local status=0
    wait "$pid" || status=$?
    cat "$log"
    rm -f "$log"
    if [[ $status -ne 0 ]]; then
        echo "wasi_echo exited with $status"
        return 1
    fi
}

# The portable pair of examples: the same tcp_server source that runs on
# Linux and Windows, built for wasip2 and run under jco, loaded by tcp_load
# built for this machine, with every echoed byte checked.
portable_server() {
    cargo build -q --example tcp_server --features "os-poll net" --target wasm32-wasip2
    cargo build -q --example tcp_load --features "os-poll net"
    local wasm=${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip2/debug/examples/tcp_server.wasm
    local load=${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/tcp_load
    local log
    log=$(mktemp)
    local port=$((20000 + RANDOM % 20000))
    timeout 120 "$JCO" run "$wasm" "127.0.0.1:$port" --seconds 15 >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 300); do
        grep -q "listening" "$log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    local status=0
    timeout 60 "$load" "127.0.0.1:$port" --connections 50 --seconds 3 || status=$?
    wait "$pid" || true
    tail -n 2 "$log"
    rm -f "$log"
    return $status
}

total=$SECONDS
step "install targets and jco $JCO_VERSION" install
step "wasip2 networking tests under jco" wasip2_tests
step "wasip1 Poll tests under node:wasi" wasip1_tests
step "compile checks (wasip1, wasip2)" compile_checks
step "wasi_echo example under jco" echo_example
step "tcp_server under jco, tcp_load from Linux" portable_server
echo "=== WASI: all ok in $((SECONDS - total))s"
