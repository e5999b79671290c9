#!/usr/bin/env bash
# The Tokio end-to-end figure: a Tokio TCP echo load (bench/tokio-echo/)
# built twice, on this crate (bench/tokio-echo/ours: [patch.crates-io]
# mio = { path = ... }) and on upstream mio 1.2.5 from crates.io
# (bench/tokio-echo/upstream), in separate target directories, then run
# interleaved (ours, upstream, then upstream, ours, ...) and compared.
#
#   scripts/bench-tokio.sh                 15 rounds, 50 clients x 1 MiB in 512-byte messages
#   scripts/bench-tokio.sh --quick         3 rounds, 50 clients x 64 KiB (a smoke check)
#   scripts/bench-tokio.sh --rounds N      other round count
#
# Many short runs rather than a few long ones: on a shared machine the
# load changes within seconds, and the ratio is taken per round, between
# two runs made back to back (the order alternating: A B, B A, ...).
#
# Writes bench/results/tokio.md and tokio.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

rounds=15
load=(--clients 50 --bytes 1048576 --msg 512 --workers 2)
mode=full
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick; rounds=3; load=(--clients 50 --bytes 65536 --msg 512 --workers 2) ;;
        --rounds) rounds=$2; shift ;;
        *) echo "usage: $0 [--quick] [--rounds N]" >&2; exit 2 ;;
    esac
    shift
done

target="${CARGO_TARGET_DIR:-$root/target}"
declare -A bin mio_used
for v in ours upstream; do
    # Upstream's lock file pins mio 1.2.5: build it --locked. Ours may need
    # its lock file refreshed when this crate's own dependencies change.
    locked=()
    [ "$v" = upstream ] && locked=(--locked)
    echo "== building tokio-echo on $v mio" >&2
    CARGO_TARGET_DIR="$target/tokio-echo-$v" nice -n 5 \
        cargo build --release "${locked[@]}" --manifest-path "bench/tokio-echo/$v/Cargo.toml" >&2
    bin[$v]="$target/tokio-echo-$v/release/tokio-echo"
    # Which mio each build really uses.
    used=$(cargo tree "${locked[@]}" --manifest-path "bench/tokio-echo/$v/Cargo.toml" -i mio --depth 0 2>/dev/null | head -1)
    echo "   $v: $used" >&2
    mio_used[$v]=$used
done

results=bench/results
mkdir -p "$results"
csv="$results/tokio.csv"
[ "$mode" = quick ] && csv="$results/tmp/tokio-quick.csv" && mkdir -p "$results/tmp"
echo "round,impl,bytes,secs,mb_per_s,msgs_per_s,cpu_s" >"$csv"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then order=(ours upstream); else order=(upstream ours); fi
    for v in "${order[@]}"; do
        line=$(timeout 300 "${bin[$v]}" "${load[@]}")
        echo "   round $r $v: $line" >&2
        # bytes=… secs=… mb_per_s=… msgs_per_s=… cpu_s=…
        echo "$r,$v,$(echo "$line" | sed -E 's/bytes=([^ ]*) secs=([^ ]*) mb_per_s=([^ ]*) msgs_per_s=([^ ]*) cpu_s=([^ ]*)/\1,\2,\3,\4,\5/')" >>"$csv"
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

summary=$(python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
tput, cpu = {}, {}
for r in rows:
    k, v = int(r["round"]), r["impl"]
    tput.setdefault(v, {})[k] = float(r["mb_per_s"])
    msgs = float(r["msgs_per_s"]) * float(r["secs"])
    cpu.setdefault(v, {})[k] = float(r["cpu_s"]) / msgs * 1e6  # CPU µs per message
med = statistics.median
def row(name, unit, d, better_higher):
    o, u = d["ours"], d["upstream"]
    ratios = [(o[k] / u[k]) if better_higher else (u[k] / o[k]) for k in sorted(o) if k in u and o[k] and u[k]]
    fmt = lambda x: f"{med(x.values()):.2f} {unit} ({min(x.values()):.2f} – {max(x.values()):.2f})"
    r = f"**{med(ratios):.2f}x** ({min(ratios):.2f} – {max(ratios):.2f})" if ratios else "–"
    print(f"| {name} | {fmt(o)} | {fmt(u)} | {r} |")
row("throughput", "MB/s", tput, True)
row("CPU time per message (user + system, all threads)", "µs", cpu, False)
PY
)

out="$results/tokio.md"
[ "$mode" = quick ] && out="$results/tmp/tokio-quick.md"
{
    flag=""
    [ "$mode" = quick ] && flag=" --quick"
    echo "Tokio 1.54.1 echo load (\`scripts/bench-tokio.sh$flag\`, $rounds rounds, interleaved):"
    echo "\`tokio-echo ${load[*]}\` — one process, an echo server and 50 clients on"
    echo "127.0.0.1, each echoing its bytes in request/response messages."
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load average $load_before before, $load_after after."
    echo "mio in use: ours = \`${mio_used[ours]}\`, upstream = \`${mio_used[upstream]}\`."
    echo
    echo "Ratio: ours relative to upstream, median (min – max) of the per-round ratios; above 1.00x"
    echo "ours is better (more throughput, less CPU per message)."
    echo
    echo "| | Tokio on ours | Tokio on upstream mio | ours vs upstream |"
    echo "|---|---:|---:|---:|"
    echo "$summary"
} >"$out"
cat "$out"
