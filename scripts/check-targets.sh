#!/usr/bin/env bash
# Compile checks for the Unix targets this machine cannot run (recipes in
# ../shared/PLATFORMS.md): `cargo check --all-features --tests --examples` for each
# target, which covers the library, its unit tests and every integration
# test, and needs no linker.
#
# Installs the targets' standard libraries with rustup (a no-op when they
# are present), prints the time each check took, and exits non-zero if any
# target fails. Every target is checked even after a failure, so that one
# run shows all the broken ones.
#
# Usage: scripts/check-targets.sh [TARGET...]    (default: all below)
set -euo pipefail
cd "$(dirname "$0")/.."

default_targets=(
    x86_64-apple-darwin    # kqueue, EVFILT_USER waker
    aarch64-apple-ios      # kqueue, EVFILT_USER waker
    x86_64-unknown-freebsd # kqueue, EVFILT_USER waker, AIO/LIO
    x86_64-unknown-netbsd  # kqueue, pipe waker
    x86_64-unknown-illumos # poll(2)
    aarch64-linux-android  # epoll
)
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=("${default_targets[@]}")
fi

echo "=== rustup target add ${targets[*]}"
rustup target add "${targets[@]}"

started=$(date +%s)
results=()
failed=()
for target in "${targets[@]}"; do
    echo
    echo "=== check $target"
    t0=$(date +%s)
    if cargo check --all-features --tests --examples --target "$target"; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
    fi
    took=$(($(date +%s) - t0))
    results+=("$(printf '%-28s %-6s %5ss' "$target" "$status" "$took")")
    echo "=== $target: $status in ${took}s"
done

echo
echo "=== target checks"
for r in "${results[@]}"; do echo "$r"; done
echo "total: $(($(date +%s) - started))s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
