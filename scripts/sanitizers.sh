#!/usr/bin/env bash
# The library's tests under AddressSanitizer and ThreadSanitizer (nightly,
# -Zbuild-std so that std is instrumented too; rust-src is installed if
# missing). Each sanitizer has its own target dir under target/.
#
# Subset (bounded for CI on 2 cores): the unit tests (--lib) and the core
# integration tests below: event queue, waker, pipes, registrations, Unix and
# TCP/UDP sockets, our timer/channel/signal sources. Left out: the soak and
# fault/fd-limit tests (fault_emfile, faults, fd_leak: they exhaust fds or
# send signal storms and have their own scripts), allocations* (they count
# allocations, which the ASan allocator changes), the Windows-only tests.
#   scripts/sanitizers.sh            both sanitizers
#   scripts/sanitizers.sh address    one of them (address | thread)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=x86_64-unknown-linux-gnu

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component list --toolchain nightly --installed | grep -q '^rust-src' ||
    rustup component add rust-src --toolchain nightly

tests=(--lib)
for t in events waker pipe poll poll_backend registration sourcefd \
    socket_registration tcp tcp_listener tcp_stream udp_socket \
    unix_listener unix_stream unix_datagram timer channel signal properties; do
    [[ -f tests/$t.rs ]] && tests+=(--test "$t")
done

run() {
    local san=$1
    echo "=== sanitizer: $san"
    # TSan cannot see the synchronisation inside uninstrumented C code, but
    # with -Zbuild-std all Rust code (std included) is instrumented.
    env CARGO_TARGET_DIR="$root/target/san-$san" \
        RUSTFLAGS="-Zsanitizer=$san" RUSTDOCFLAGS="-Zsanitizer=$san" \
        ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1" \
        TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
        cargo +nightly test -Zbuild-std --target "$target" --all-features "${tests[@]}"
}

sans=("$@")
(( ${#sans[@]} )) || sans=(address thread)
for s in "${sans[@]}"; do run "$s"; done
echo "sanitizers: ok (${sans[*]})"
