#!/usr/bin/env bash
# Public API guard (Linux, x86_64-unknown-linux-gnu, features `os-poll os-ext net`,
# the feature set of ../shared/API.md; our extras timer/signal/channel are left
# out so that they can change freely).
#
# 1. rustdoc (nightly, JSON output) describes the library's public API;
#    api/listing.py turns it into one line per item: `path | kind | detail`
#    (functions with their signatures, impls with trait and self type,
#    auto-trait impls such as Send/Sync included, paths normalised so that a
#    new nightly does not change them).
# 2. The listing is compared with the committed api/linux.txt. A line of
#    api/linux.txt that is no longer produced fails the guard (something
#    public disappeared or changed its signature); new lines are reported and
#    allowed. After an intended change, regenerate the file with
#    `scripts/api-guard.sh --bless` and review the diff.
# 3. Independently of api/linux.txt (which could be blessed by mistake),
#    api/check_api_md.py reads the "Full listing (Linux)" of API.md and looks
#    up every module, struct, trait, function, method, const and impl it names
#    in the generated listing, by name (methods) and by trait + self type with
#    paths cut to their last segment (impls). Any miss fails the guard.
#
# API.md is read from ../shared/API.md (or $MIO_API_MD); if it is absent the
# second check is skipped with a notice, the first still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bless=0
[[ ${1:-} == --bless ]] && bless=1

target=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="$root/target/api-guard"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

cargo +nightly rustdoc --quiet --lib --target "$target" \
    --no-default-features --features "os-poll os-ext net" \
    -- -Z unstable-options --output-format json -A rustdoc::broken_intra_doc_links
json="$CARGO_TARGET_DIR/$target/doc/mio.json"
listing="$CARGO_TARGET_DIR/linux.txt"
python3 api/listing.py "$json" > "$listing"

if (( bless )); then
    cp "$listing" api/linux.txt
    echo "api-guard: wrote api/linux.txt ($(wc -l < api/linux.txt) lines)"
fi

status=0
removed=$(comm -23 <(LC_ALL=C sort api/linux.txt) <(LC_ALL=C sort "$listing"))
added=$(comm -13 <(LC_ALL=C sort api/linux.txt) <(LC_ALL=C sort "$listing"))
if [[ -n $added ]]; then
    echo "api-guard: new public API (allowed; bless to record it):"
    sed 's/^/  + /' <<< "$added"
fi
if [[ -n $removed ]]; then
    echo "api-guard: FAIL: public API removed or changed (in api/linux.txt, not in the crate):"
    sed 's/^/  - /' <<< "$removed"
    status=1
else
    echo "api-guard: all $(wc -l < api/linux.txt) lines of api/linux.txt present"
fi

api_md=${MIO_API_MD:-$root/../shared/API.md}
if [[ -f $api_md ]]; then
    python3 api/check_api_md.py "$api_md" "$listing" || status=1
else
    echo "api-guard: $api_md not found; skipping the API.md cross-check"
fi
exit $status
