#!/usr/bin/env bash
# Build the library against the lowest versions its Cargo.toml allows.
#
# Works in a scratch copy so the repository's Cargo.lock is never touched:
# Cargo.toml (without the [workspace] table, whose members bench/ and soak/
# are not copied, and without dev-dependencies, which are not part of what
# users build) and src/ go to a temp dir, `cargo +nightly update
# -Z minimal-versions` writes a lockfile with the minimum of every range,
# then
#   cargo +nightly check --all-features          (every feature)
#   cargo +1.71 check --features os-poll,os-ext,net   (the MSRV, mio's features)
# must pass. A failure means a lower bound in [dependencies] is too low.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mio-minver.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup toolchain list | grep -q '^1\.71' || rustup toolchain install 1.71 --profile minimal

cp -r src "$scratch/"
for f in README.md LICENSE CHANGELOG.md; do [[ -f $f ]] && cp "$f" "$scratch/"; done
# Drop [workspace], [dev-dependencies], target-specific dev-dependencies and
# [[example]] tables (examples are not copied).
python3 - "$root/Cargo.toml" "$scratch/Cargo.toml" <<'PY'
import re, sys
out, skip = [], False
for line in open(sys.argv[1]):
    m = re.match(r"\s*\[\[?([^\]]+)\]\]?\s*$", line)
    if m:
        name = m.group(1).strip()
        skip = (name == "workspace" or name == "example" or name == "dev-dependencies"
                or name.endswith(".dev-dependencies")
                or ".dev-dependencies." in name)
    if not skip:
        out.append(line)
open(sys.argv[2], "w").write("".join(out))
PY

cd "$scratch"
export CARGO_TARGET_DIR="$root/target/minimal-versions"
cargo +nightly update -Z minimal-versions
echo "minimal-versions: resolved"
grep -A1 '^name = ' Cargo.lock | grep -v '^--' | paste - - | sed 's/name = //; s/version = //'
cargo +nightly check --all-features
cargo +1.71 check --features os-poll,os-ext,net
echo "minimal-versions: ok"
