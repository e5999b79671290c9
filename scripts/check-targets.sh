#!/usr/bin/env bash
# Compile checks for the Unix targets this machine cannot run (recipes in
# ../shared/PLATFORMS.md). No linker is needed: `cargo check` only.
#
#   scripts/check-targets.sh [--ci] [TARGET...]
#
# Three kinds of target:
# * rustup: the standard library is downloadable. Checked with
#   `cargo check --all-features --tests --examples` (the library, its unit
#   tests, every integration test and example).
# * build-std, full: no downloadable std (tier 3); nightly builds it from
#   rust-src (`-Zbuild-std=std,panic_abort`), and the same full check runs.
#   Solaris, the only target of the event ports selector.
# * build-std, library: as above, the library only (`--all-features`),
#   to bound the time: each std build takes 1-2 minutes on 2 cores.
# Plus the poll(2) selector forced (`--cfg mio_unsupported_force_poll_poll`)
# on two targets that normally use another selector.
#
# --ci: every rustup target, Solaris, the forced poll(2) checks, and of the
# build-std library targets one per selector/Waker combination not covered
# otherwise (see CI_BUILD_STD_LIB below), to stay within a few minutes.
#
# All build-std targets share one target dir (target/build-std), so the
# std sources' host tools are built once; each target still builds its own
# std. Installs what it needs (rustup targets, the nightly toolchain's
# rust-src). Every target is checked even after a failure; prints the time
# of each and exits non-zero if any failed.
#
# Targets whose std cannot be built here at all are listed at the end of
# this file, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."

# rustup targets: selector, Waker.
RUSTUP=(
    x86_64-apple-darwin           # kqueue, EVFILT_USER waker
    aarch64-apple-ios             # kqueue, EVFILT_USER waker
    x86_64-unknown-freebsd        # kqueue, EVFILT_USER waker, AIO/LIO
    x86_64-unknown-netbsd         # kqueue, pipe waker
    x86_64-unknown-illumos        # epoll, eventfd waker
    x86_64-unknown-redox          # epoll, pipe waker
    x86_64-unknown-fuchsia        # poll(2), pipe waker
    aarch64-linux-android         # epoll, eventfd waker
    armv7-linux-androideabi       # epoll, eventfd waker, 32-bit
    i686-unknown-linux-gnu        # epoll, eventfd waker, 32-bit x86
    aarch64-unknown-linux-gnu     # epoll, eventfd waker (run: cross-run.sh)
)
# build-std, full check.
BUILD_STD_FULL=(
    x86_64-pc-solaris             # event ports, port_send waker
)
# build-std, library only. TARGET:FEATURES checks those features instead of
# --all-features. Without `signal`: libc lacks SA_RESTART and SA_ONSTACK
# for QNX, and all three SA_* flags for the Vita.
NO_SIGNAL=os-poll,os-ext,net,timer,channel
BUILD_STD_LIB=(
    aarch64-apple-tvos            # kqueue, EVFILT_USER waker
    aarch64-apple-watchos         # kqueue, EVFILT_USER waker
    aarch64-apple-visionos        # kqueue, EVFILT_USER waker
    x86_64-unknown-openbsd        # kqueue, pipe waker
    x86_64-unknown-dragonfly      # kqueue, EVFILT_USER waker
    x86_64-unknown-haiku          # poll(2), pipe waker
    x86_64-pc-nto-qnx710:$NO_SIGNAL         # poll(2), pipe waker
    x86_64-unknown-hurd-gnu       # poll(2), pipe waker
    x86_64-pc-cygwin              # poll(2), pipe waker
    armv7-sony-vita-newlibeabihf:$NO_SIGNAL # poll(2), pipe waker
)
# The --ci subset of BUILD_STD_LIB: one each of OpenBSD's kqueue (no user
# filter, its own kevent types), DragonFly, tvOS (Apple beyond macOS/iOS),
# and Haiku's poll(2).
CI_BUILD_STD_LIB=(
    x86_64-unknown-openbsd
    x86_64-unknown-dragonfly
    aarch64-apple-tvos
    x86_64-unknown-haiku
)
# The poll(2) selector on targets that normally have another.
FORCE_POLL=(
    x86_64-apple-darwin
    x86_64-unknown-illumos
)

ci=0
args=()
for arg in "$@"; do
    case "$arg" in
        --ci) ci=1 ;;
        -*) echo "unknown option: $arg" >&2; exit 2 ;;
        *) args+=("$arg") ;;
    esac
done

in_list() {
    local needle=$1
    shift
    local x
    for x in "$@"; do [ "$x" = "$needle" ] && return 0; done
    return 1
}

rustup_targets=()
full_targets=()
lib_targets=()
force_poll=()
if [ "${#args[@]}" -gt 0 ]; then
    for t in "${args[@]}"; do
        if in_list "$t" "${RUSTUP[@]}"; then rustup_targets+=("$t")
        elif in_list "$t" "${BUILD_STD_FULL[@]}"; then full_targets+=("$t")
        else lib_targets+=("$t")
        fi
    done
else
    rustup_targets=("${RUSTUP[@]}")
    full_targets=("${BUILD_STD_FULL[@]}")
    force_poll=("${FORCE_POLL[@]}")
    if [ "$ci" = 1 ]; then
        lib_targets=("${CI_BUILD_STD_LIB[@]}")
    else
        lib_targets=("${BUILD_STD_LIB[@]}")
    fi
fi

echo "=== install"
if [ "${#rustup_targets[@]}" -gt 0 ]; then
    rustup target add "${rustup_targets[@]}" "${force_poll[@]}"
fi
if [ "$((${#full_targets[@]} + ${#lib_targets[@]}))" -gt 0 ]; then
    rustup toolchain install nightly --profile minimal --component rust-src
fi

started=$SECONDS
results=()
failed=()
check() {
    local name=$1
    shift
    local t0=$SECONDS status=ok
    echo
    echo "=== $name"
    if ! "$@"; then
        status=FAILED
        failed+=("$name")
    fi
    results+=("$(printf '%-48s %-6s %5ss' "$name" "$status" "$((SECONDS - t0))")")
    echo "=== $name: $status in $((SECONDS - t0))s"
}

build_std() {
    CARGO_TARGET_DIR=target/build-std \
        cargo +nightly check -Zbuild-std=std,panic_abort "$@"
}

for t in "${rustup_targets[@]}"; do
    check "$t" cargo check --all-features --tests --examples --target "$t"
done
for t in "${force_poll[@]}"; do
    CARGO_TARGET_DIR=target/check-poll RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
        check "$t (forced poll(2))" cargo check --all-features --tests --target "$t"
done
for t in "${full_targets[@]}"; do
    check "$t (build-std)" build_std --all-features --tests --examples --target "$t"
done
for entry in "${lib_targets[@]}"; do
    t=${entry%%:*}
    if [ "$t" = "$entry" ]; then
        check "$t (build-std, lib)" build_std --all-features --target "$t"
    else
        check "$t (build-std, lib, ${entry#*:})" build_std --features "${entry#*:}" --target "$t"
    fi
done

echo
echo "=== target checks"
for r in "${results[@]}"; do echo "$r"; done
echo "total: $((SECONDS - started))s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi

# Not checked (nightly 2026-05, -Zbuild-std=std,panic_abort, libc 0.2.191):
# - powerpc64-ibm-aix: std itself does not build (`stat` has no `st_atime`).
# - armv7a-nuttx-eabihf (NuttX): std itself does not build (libc lacks
#   SO_KEEPALIVE there).
# - x86_64-unknown-hermit: not `unix`; Hermit's system calls come from the
#   hermit-abi crate, which is not among the crate's dependencies.
# - riscv32imc-esp-espidf (ESP-IDF): libc has no POLLNVAL there (the
#   poll(2) selector uses it), and no 64-bit atomics for the signal table.
# - armv6k-nintendo-3ds (Horizon): poll(2)'s flags are `c_int` there, not
#   `c_short` as the poll(2) selector expects; no 64-bit atomics either.
