#!/usr/bin/env bash
# Runs Tokio's own integration tests (tokio 1.54.1 from crates.io, features
# "full") on top of this crate, or on top of upstream mio for comparison.
#
#   scripts/tokio-suite.sh [--mio local|upstream] [--ci] [--work DIR]
#
#   --mio local     (default) patch `mio` to this checkout with [patch.crates-io]
#   --mio upstream  build against mio from crates.io, for a baseline
#   --ci            run only the test files that exercise mio (networking, I/O
#                   drivers, process, signal, runtime); the whole suite otherwise
#   --work DIR      where Tokio is unpacked and built (default: target/tokio-suite)
#
# Prints one line per test binary and a summary; exits non-zero if any test
# failed. `cargo tree -i mio` is printed first to show which mio is in use.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mode=local
ci=0
work="$root/target/tokio-suite"
while [ $# -gt 0 ]; do
    case "$1" in
        --mio) mode=$2; shift 2 ;;
        --ci) ci=1; shift ;;
        --work) work=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

version=1.54.1
sha256=b52fd3255258d26fac7264ab5a76b53c13367136dc011d3d6ad4f8ed070396a3
crate="$work/tokio-$version.crate"
mkdir -p "$work"
if [ ! -f "$crate" ]; then
    curl -sSfL -o "$crate.tmp" "https://static.crates.io/crates/tokio/tokio-$version.crate"
    mv "$crate.tmp" "$crate"
fi
echo "$sha256  $crate" | sha256sum -c --quiet -

ws="$work/$mode"
if [ ! -d "$ws/tokio" ]; then
    mkdir -p "$ws"
    tar xzf "$crate" -C "$ws"
    mv "$ws/tokio-$version" "$ws/tokio"
    # Keep Tokio's pinned dependency versions, but drop the lock entries of
    # the crates the patch below replaces: a crates.io `tokio` (pulled in by
    # its dev-dependencies) and, when testing this crate, `mio`. Otherwise
    # cargo keeps the locked registry versions and ignores the patch.
    drop='tokio'
    if [ "$mode" = local ]; then drop='tokio|mio'; fi
    awk -v drop="$drop" '
        BEGIN { RS = "\n\\[\\[package\\]\\]\n"; ORS = "\n[[package]]\n" }
        { if (match($0, /^name = "[^"]*"/)) { n = substr($0, 9, RLENGTH - 9) } else { n = "" } }
        !(n ~ ("^(" drop ")$") && $0 ~ /\nsource = "registry/) { print }' \
        "$ws/tokio/Cargo.lock" | sed '$d' > "$ws/Cargo.lock"
fi
{
    echo '[workspace]'
    echo 'members = ["tokio"]'
    echo 'resolver = "2"'
    echo
    echo '[patch.crates-io]'
    echo 'tokio = { path = "tokio" }'
    if [ "$mode" = local ]; then
        echo "mio = { path = \"$root\" }"
    fi
} > "$ws/Cargo.toml"

cd "$ws"
echo "== mio used by tokio ($mode):"
used=$(cargo tree -q -p tokio --features full -i mio -e normal | head -n 1)
echo "$used"
if [ "$mode" = local ] && ! echo "$used" | grep -q "($root)"; then
    echo "the [patch] for mio is not in use" >&2
    exit 1
fi

if [ "$ci" = 1 ]; then
    # The test files whose code paths go through mio: sockets, the I/O driver,
    # wakers, process and signal handling, and runtime shutdown.
    tests=$(cd tokio/tests && ls tcp_*.rs udp.rs uds_*.rs net_*.rs io_driver*.rs \
        io_async_fd.rs io_poll_aio.rs process_*.rs signal_*.rs rt_common.rs rt_threaded.rs \
        rt_basic.rs io_copy_bidirectional.rs io_split.rs io_util_empty.rs buffered.rs \
        2>/dev/null | sed 's/\.rs$//')
else
    tests=$(cd tokio/tests && ls *.rs | sed 's/\.rs$//')
fi
args=()
for t in $tests; do args+=(--test "$t"); done

log="$work/$mode.log"
set +e
cargo test -p tokio --features full --no-fail-fast "${args[@]}" >"$log" 2>&1
status=$?
set -e

# One line per binary: "<name> passed N failed M ignored K".
awk '
    /Running tests\// { name=$2; sub(/.*tests\//, "", name); sub(/\.rs$/, "", name) }
    /^test result:/ {
        p=$4; f=$6; i=$8; gsub(/;/, "", p); gsub(/;/, "", f); gsub(/;/, "", i)
        printf "%-40s passed %4d failed %3d ignored %3d\n", name, p, f, i
        tp+=p; tf+=f; ti+=i
    }
    END { printf "TOTAL (%s) passed %d failed %d ignored %d\n", "'"$mode"'", tp, tf, ti }
' "$log"
grep -E '^test .* FAILED$|^error(\[|:)' "$log" | head -n 50 || true
exit $status
