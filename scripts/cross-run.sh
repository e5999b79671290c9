#!/usr/bin/env bash
# The whole test suite on other CPUs, under qemu-user: aarch64 (64-bit,
# `epoll_event` not packed) and ARMv7 (32-bit: `usize`, pointers and
# `time_t` are 32 bits). qemu-user translates the guest's system calls to
# this kernel's, so epoll, eventfd, timerfd, signals and sockets are the
# real Linux ones; what changes is the CPU and the type widths.
#
#   scripts/cross-run.sh [--ci] [TARGET...]
#
# TARGET: aarch64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf (default:
# both), i686-unknown-linux-gnu (not by default: qemu-i386 mishandles
# signals sent to threads, see ../shared/PLATFORMS.md).
#
# For each target: `cargo test --all-features` (unit tests, every
# integration test, no doctests: they do not run cross), then the poll(2)
# backend (`--cfg mio_unsupported_force_poll_poll`) on the poll, waker and
# width tests. --ci runs the same; it exists so .ci/run states its intent,
# and skips nothing today (each target takes 1-3 minutes).
#
# Installs what it needs (qemu-user and the cross linkers with apt-get,
# the Rust targets with rustup); each target builds into its own
# target/cross/<target> directory. Prints the time of each step; exits
# non-zero if any target fails (all are run).
set -euo pipefail
cd "$(dirname "$0")/.."

ci=0
targets=()
for arg in "$@"; do
    case "$arg" in
        --ci) ci=1 ;;
        -*) echo "unknown option: $arg" >&2; exit 2 ;;
        *) targets+=("$arg") ;;
    esac
done
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
fi
export CI_MODE=$ci

# Per target: Debian packages, linker, qemu runner (with the sysroot).
setup() {
    case "$1" in
        aarch64-unknown-linux-gnu)
            pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
            linker=aarch64-linux-gnu-gcc
            runner="qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
        armv7-unknown-linux-gnueabihf)
            pkgs="gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"
            linker=arm-linux-gnueabihf-gcc
            runner="qemu-arm -L /usr/arm-linux-gnueabihf" ;;
        i686-unknown-linux-gnu)
            pkgs="gcc-i686-linux-gnu libc6-dev-i386-cross"
            linker=i686-linux-gnu-gcc
            runner="qemu-i386 -L /usr/i686-linux-gnu" ;;
        *) echo "unsupported target: $1" >&2; exit 2 ;;
    esac
}

all_pkgs="qemu-user"
for t in "${targets[@]}"; do
    setup "$t"
    all_pkgs="$all_pkgs $pkgs"
done
t0=$SECONDS
echo "=== install"
missing=()
for p in $all_pkgs; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
rustup target add "${targets[@]}"
echo "=== install: $((SECONDS - t0))s"

results=()
failed=()
run_step() {
    local name=$1
    shift
    local start=$SECONDS status=ok
    echo
    echo "=== $name"
    if ! "$@"; then
        status=FAILED
        failed+=("$name")
    fi
    results+=("$(printf '%-52s %-6s %5ss' "$name" "$status" "$((SECONDS - start))")")
    echo "=== $name: $status in $((SECONDS - start))s"
}

for t in "${targets[@]}"; do
    setup "$t"
    var=$(echo "$t" | tr 'a-z-' 'A-Z_')
    export "CARGO_TARGET_${var}_LINKER=$linker"
    export "CARGO_TARGET_${var}_RUNNER=$runner"
    export CARGO_TARGET_DIR="target/cross/$t"
    run_step "$t: cargo test --all-features" \
        cargo test --no-fail-fast --all-features --target "$t" --lib --tests
    CARGO_TARGET_DIR="target/cross/$t-poll" RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
        run_step "$t: poll(2) backend: poll, waker, widths" \
        cargo test --no-fail-fast --all-features --target "$t" --lib --test poll --test waker --test widths
done
unset CARGO_TARGET_DIR

echo
echo "=== cross runs"
for r in "${results[@]}"; do echo "$r"; done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
