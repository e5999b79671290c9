#!/usr/bin/env bash
# Loom model checks of the channel (src/models/channel.rs), the Wakers'
# coalescing flags (src/models/wake_flag.rs) and the signal table
# (src/sys/unix/signal/table/models.rs): the real types, with
# `crate::sync` switched to loom's primitives by `--cfg loom`.
#
#   scripts/loom.sh                 every model, preemption bound 5 (seconds)
#   scripts/loom.sh --deep          preemption bound 8 (a few minutes)
#   scripts/loom.sh --ci            same as the default (seconds)
#   LOOM_MAX_PREEMPTIONS=N scripts/loom.sh   any bound
#
# A failure prints the model's name and its assertion; rerun with
# LOOM_LOG=trace LOOM_LOCATION=1 for loom's trace of the failing execution.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="$root/target/loom"
export RUSTFLAGS="--cfg loom"

bound=${LOOM_MAX_PREEMPTIONS:-5}
for arg in "$@"; do
    case $arg in
        --ci) ;;
        --deep) bound=8 ;;
        *) echo "usage: $0 [--ci|--deep]" >&2; exit 2 ;;
    esac
done
export LOOM_MAX_PREEMPTIONS=$bound

echo "=== loom: preemption bound $bound"
# Every loom model's name starts with `loom_`.
cargo test --release --lib --features channel,signal -- loom_
