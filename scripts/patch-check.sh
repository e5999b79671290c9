#!/usr/bin/env bash
# Checks that this checkout can stand in for the newest mio 1.x through
# `[patch.crates-io]`, the way users switch to it.
#
#   scripts/patch-check.sh [--offline]
#
# Cargo applies a `[patch]` only if the patched package's version meets the
# requirement of every dependent; otherwise it prints "Patch `mio ...` was
# not used in the crate graph" and quietly builds the registry release. So:
#
# 1. Looks up the newest mio 1.x on crates.io (`cargo info mio@1`, run
#    outside this checkout so that it does not describe the checkout itself); with
#    --offline, or if the registry cannot be reached, 1.2.5.
# 2. Creates a scratch crate (target/patch-check/scratch) depending on
#    `mio = "=<that version>"` (the strictest requirement a dependent can
#    have) with `[patch.crates-io] mio = { path = <this checkout> }`.
# 3. Fails unless `cargo tree -i mio` shows mio from this checkout's path
#    and cargo printed no "patch ... was not used" warning. It then also
#    checks a caret requirement (`mio = "1"`), the common form.
#
# Takes a few seconds (resolution only, nothing is compiled); needs the
# crates.io index, or its local cache with --offline.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
offline=0
while [ $# -gt 0 ]; do
    case "$1" in
        --offline) offline=1; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

fallback=1.2.5
work="$root/target/patch-check"
scratch="$work/scratch"
rm -rf "$scratch"
mkdir -p "$scratch/src"

# --- 1. the newest upstream mio 1.x --------------------------------------
newest=
if [ "$offline" = 0 ]; then
    # From an empty directory outside the checkout: inside it `cargo info
    # mio` describes the local package.
    away=$(mktemp -d)
    newest=$(cd "$away" && timeout 60 cargo info 'mio@1' 2>/dev/null \
        | sed -n -E 's/^version: ([0-9]+\.[0-9]+\.[0-9]+)( .*)?$/\1/p' | head -n 1 || true)
    rmdir "$away"
fi
if [ -z "$newest" ]; then
    echo "patch-check: newest mio 1.x unknown (offline or registry unreachable), using $fallback"
    newest=$fallback
fi
local_version=$(sed -n -E 's/^version = "([^"]+)"$/\1/p' "$root/Cargo.toml" | head -n 1)
echo "patch-check: newest upstream mio 1.x: $newest; this checkout: $local_version"

# --- 2. and 3. a dependent with an exact and a caret requirement ---------
echo 'fn main() {}' >"$scratch/src/main.rs"
check() {
    local requirement=$1
    cat >"$scratch/Cargo.toml" <<EOF
[package]
name = "mio-patch-check"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
mio = { version = "$requirement", features = ["os-poll", "net"] }

[patch.crates-io]
mio = { path = "$root" }
EOF
    rm -f "$scratch/Cargo.lock"
    local flags=()
    [ "$offline" = 1 ] && flags+=(--offline)
    local out tree
    if ! out=$(cd "$scratch" && cargo generate-lockfile ${flags[@]+"${flags[@]}"} 2>&1); then
        echo "$out" >&2
        echo "patch-check: FAILED: cargo could not resolve mio = \"$requirement\"" >&2
        return 1
    fi
    if ! tree=$(cd "$scratch" && cargo tree ${flags[@]+"${flags[@]}"} -i mio -e normal 2>&1); then
        echo "$tree" >&2
        echo "patch-check: FAILED: cargo tree -i mio" >&2
        return 1
    fi
    out="$out
$tree"
    echo "--- mio = \"$requirement\": $(echo "$tree" | grep -m1 '^mio ')"
    if grep -qi 'patch .* was not used' <<<"$out"; then
        echo "$out" >&2
        echo "patch-check: FAILED: cargo did not use the [patch] for mio = \"$requirement\"" >&2
        return 1
    fi
    if ! grep -qF "mio v$local_version ($root)" <<<"$tree"; then
        echo "$out" >&2
        echo "patch-check: FAILED: mio = \"$requirement\" resolves to something else than $root" >&2
        return 1
    fi
}
check "=$newest"
check "1"
echo "patch-check: ok ([patch.crates-io] to this checkout replaces mio $newest)"
