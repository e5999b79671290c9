#!/usr/bin/env bash
# The Windows build, checked and run on this Linux machine.
#
#   scripts/windows.sh [--no-run]
#
# 1. Installs mingw-w64 and wine 8 and prepares the wine prefix
#    (scripts/wine-env.sh).
# 2. Compile checks: clippy with -D warnings for x86_64-pc-windows-gnu, and
#    `cargo check --all-features --tests` for x86_64-pc-windows-msvc and
#    aarch64-pc-windows-msvc (no linker needed).
# 3. Runs the whole test suite for x86_64-pc-windows-gnu under wine (every
#    test binary, the unit tests and the doctests).
# 4. Runs the tcp_server example under wine and talks to it from Linux over
#    loopback: a client sends a payload and checks that the echo matches.
#
# --no-run stops after step 2. Build output goes to target/windows (or
# $CARGO_TARGET_DIR). Tests that wine cannot pass because wine differs from
# Windows detect wine themselves and skip only that part, naming the wine
# behaviour in a comment; this script does not filter tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-run) run=0; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

export CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/windows}"
gnu=x86_64-pc-windows-gnu

step() {
    echo
    echo "=== windows: $*"
    local t0
    t0=$(date +%s)
    "$@"
    echo "=== windows: ok in $(( $(date +%s) - t0 ))s"
}

# --- 1. toolchains and wine -------------------------------------------------
echo "=== windows: setting up mingw-w64 and wine (scripts/wine-env.sh)"
eval "$("$root/scripts/wine-env.sh")"
rustup target add "$gnu" x86_64-pc-windows-msvc aarch64-pc-windows-msvc >/dev/null
wine --version

# --- 2. compile checks -------------------------------------------------------
step cargo clippy --all-targets --all-features --target "$gnu" -- -D warnings
step cargo check --all-features --tests --target x86_64-pc-windows-msvc
step cargo check --all-features --tests --target aarch64-pc-windows-msvc
step cargo check --no-default-features --features net --target "$gnu"
step cargo check --no-default-features --features os-ext --target "$gnu"
step cargo build --all-features --examples --target "$gnu"
if [ "$run" = 0 ]; then
    exit 0
fi

# --- 3. the test suite under wine -----------------------------------------
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e +o pipefail
step cargo test --all-features --target "$gnu" --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e -o pipefail
# One summary line over every test binary (and the doctests).
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "windows: %d passed, %d failed\n(%d ignored)\n", p, f, i }' "$log"
if [ "$status" != 0 ]; then
    echo "=== windows: the test suite failed under wine" >&2
    exit "$status"
fi

# --- 4. tcp_server under wine, a client on Linux --------------------------
echo_check() {
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local server_log
    server_log=$(mktemp)
    wine "$CARGO_TARGET_DIR/$gnu/debug/examples/tcp_server.exe" "127.0.0.1:$port" >"$server_log" 2>&1 &
    local server=$!
    local result=0
    python3 - "$port" <<'PY' || result=$?
import socket, sys, time

port = int(sys.argv[1])
deadline = time.time() + 60
while True:
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=10)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("tcp_server never accepted a connection")
        time.sleep(0.2)
payload = bytes(range(256)) * 4096  # 1 MiB, more than the socket buffers
received = bytearray()
sent = 0
conn.setblocking(False)
while len(received) < len(payload):
    if time.time() > deadline:
        sys.exit("echo stalled at %d of %d bytes" % (len(received), len(payload)))
    if sent < len(payload):
        try:
            sent += conn.send(payload[sent:sent + 65536])
        except BlockingIOError:
            pass
    try:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit("server closed after %d bytes" % len(received))
        received += chunk
    except BlockingIOError:
        time.sleep(0.001)
if bytes(received) != payload:
    sys.exit("echo differs from what was sent")
conn.setblocking(True)
conn.shutdown(socket.SHUT_WR)
if conn.recv(1) != b"":
    sys.exit("no end-of-file after the client's shutdown")
print("tcp_server echoed %d bytes and closed after the client's shutdown" % len(payload))
PY
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    echo "--- tcp_server output"
    cat "$server_log"
    rm -f "$server_log"
    return "$result"
}
step echo_check
