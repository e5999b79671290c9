#!/usr/bin/env bash
# Syscalls per operation (strace -c -f) and instructions per operation
# (valgrind --tool=callgrind, total Ir) for ping-pong and fan-in, for each
# implementation: this crate, upstream mio 1.2.5, polling 3, raw epoll.
#
#   scripts/bench-profile.sh            ping-pong, fan-in 1,000 and 10,000, churn, wake storm
#   scripts/bench-profile.sh --quick    smaller counts, no fan-in 10,000
#
# Each figure is a difference of two runs, with K and 2K operations
# (`mio-bench profile WORKLOAD IMPL OPS` runs exactly OPS operations), so
# setup (connecting, registering, starting valgrind) cancels out:
# per op = (count(2K) - count(K)) / (ops(2K) - ops(K)).
#
# Fan-in's writer is a child process; strace follows forks (-f) but
# detaches at its execve (-b execve), and callgrind does not follow it
# (--trace-children=no), so only the event loop's process is counted. The
# harness's own syscalls in the loop, 1 pipe write + 1 pipe read per batch
# of N events, are subtracted, and so are the `clock_nanosleep` calls of
# mio-bench's watchdog thread (it wakes every 100 ms), the `wait4` calls of
# the fan-in fixture waiting for its child to exit, and the harness's
# `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` around each batch (no
# implementation makes any of these in its event loop).
#
# Churn (connections: connect, accept, register, deregister, close) is
# profiled too, as an extra: it is the workload where this crate's
# per-registration bookkeeping would show.
#
# Wake storm (4 threads waking one poller in a loop; `ops` = wake calls, at
# least K delivered) is counted with strace only: the loop's system calls
# (write, read, epoll_wait/epoll_pwait[2], timerfd_settime) of all five
# threads in the 2K run, over its wake calls. Its instruction count (a spin of wakes) means little and is
# not taken. strace slows every system call down a lot, which lets more
# wakes coalesce where an implementation coalesces; `mio-bench --only
# storm` counts eventfd writes per wake without tracing, for comparison.
#
# Installs strace and valgrind with apt-get if they are missing (root).
# Writes bench/results/profile.md and profile.csv; raw outputs and
# callgrind_annotate listings go to bench/results/tmp/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
    esac
done

need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "== installing $2" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
}
need strace strace
need valgrind valgrind
need python3 python3

# Same release profile as scripts/bench.sh, plus line tables so that
# callgrind_annotate can name functions; a separate target directory so
# the plain release build is left alone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/bench-profile"
echo "== building (release + line tables)" >&2
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only nice -n 5 cargo build --release -p mio-bench --bin mio-bench >&2
bin="$CARGO_TARGET_DIR/release/mio-bench"

tmp=bench/results/tmp
mkdir -p "$tmp"
rm -f "$tmp"/strace-* "$tmp"/callgrind-*

# workload, N (connections, 0 for ping-pong), K (operations of the short run)
if [ "$quick" = 1 ]; then
    cases=("pingpong 0 1000" "fanin 1000 2" "churn 0 200" "storm 0 20000")
else
    cases=("pingpong 0 5000" "fanin 1000 5" "fanin 10000 2" "churn 0 2000" "storm 0 100000")
fi
impls=(ours upstream polling epoll)

run_profile() { # tool workload n impl ops
    local tool=$1 workload=$2 n=$3 imp=$4 ops=$5
    local tag="$workload-$n-$imp-$ops"
    local args=(profile "$workload" "$imp" "$ops")
    if [ "$workload" = fanin ]; then args+=(--conns "$n"); fi
    case "$tool" in
        strace)
            strace -c -f -b execve -o "$tmp/strace-$tag.txt" "$bin" "${args[@]}" >"$tmp/strace-$tag.out"
            ;;
        callgrind)
            valgrind --tool=callgrind --trace-children=no \
                --callgrind-out-file="$tmp/callgrind-$tag.out" \
                "$bin" "${args[@]}" >"$tmp/callgrind-$tag.stdout" 2>"$tmp/callgrind-$tag.log"
            ;;
    esac
}

for c in "${cases[@]}"; do
    read -r workload n k <<<"$c"
    for imp in "${impls[@]}"; do
        for ops in "$k" $((2 * k)); do
            echo "== $workload n=$n $imp ops=$ops: strace" >&2
            run_profile strace "$workload" "$n" "$imp" "$ops"
            if [ "$workload" = storm ]; then continue; fi
            echo "== $workload n=$n $imp ops=$ops: callgrind" >&2
            run_profile callgrind "$workload" "$n" "$imp" "$ops"
        done
        if [ "$workload" != storm ] && command -v callgrind_annotate >/dev/null 2>&1; then
            callgrind_annotate --inclusive=yes "$tmp/callgrind-$workload-$n-$imp-$((2 * k)).out" \
                >"$tmp/annotate-$workload-$n-$imp.txt" 2>/dev/null || true
        fi
    done
done

printf '%s\n' "${cases[@]}" >"$tmp/cases.txt"
python3 - "$tmp" "${impls[@]}" <<'PY'
import re, sys
tmp, impls = sys.argv[1], sys.argv[2:]
cases = [l.split() for l in open(f"{tmp}/cases.txt") if l.strip()]

def ops_of(path):
    m = re.search(r"ops=(\d+)", open(path).read())
    return int(m.group(1))

def strace_counts(path):
    counts = {}
    for line in open(path):
        t = line.split()
        if len(t) < 5 or t[-1] == "total":
            continue
        try:
            float(t[0]); calls = int(t[3])
        except ValueError:
            continue
        counts[t[-1]] = calls
    return counts

def callgrind_ir(path):
    for line in open(path):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no total in {path}")

title = {"ours": "ours", "upstream": "upstream mio 1.2.5", "polling": "polling 3", "epoll": "raw epoll"}
rows = []
for workload, n, k in cases:
    n, k = int(n), int(k)
    name = {
        "pingpong": "ping-pong (per round trip)",
        "fanin": f"fan-in {n:,} (per event)",
        "churn": "churn (per connection)",
        "storm": "wake storm, 4 threads (per wake)",
    }[workload]
    for imp in impls:
        a = f"{workload}-{n}-{imp}-{k}"
        b = f"{workload}-{n}-{imp}-{2 * k}"
        ops_a, ops_b = ops_of(f"{tmp}/strace-{a}.out"), ops_of(f"{tmp}/strace-{b}.out")
        d_ops = ops_b - ops_a
        ca, cb = strace_counts(f"{tmp}/strace-{a}.txt"), strace_counts(f"{tmp}/strace-{b}.txt")
        per = {}
        if workload == "storm":
            # A storm run's wake count is whatever the free-running threads
            # reached (for a coalescing waker, millions before the traced
            # poller first returns), so the two runs do not differ by K:
            # take the longer run's loop calls over its wakes instead
            # (setup's epoll_ctl, thread start-up and futex calls left out;
            # `read` includes a dozen reads of /proc/self/fdinfo by the
            # harness, immaterial next to millions of wakes).
            for sc in ("write", "read", "epoll_wait", "epoll_pwait", "epoll_pwait2", "timerfd_settime"):
                if cb.get(sc):
                    per[sc] = cb[sc] / ops_b
        for sc in (set(ca) | set(cb)) if workload != "storm" else ():
            if sc in ("clock_nanosleep", "wait4", "clock_gettime"):
                # mio-bench's watchdog thread (sleeps 100 ms at a time), the
                # fan-in fixture waiting for its child to exit, and the
                # harness reading the thread CPU clock around each batch
                continue
            d = cb.get(sc, 0) - ca.get(sc, 0)
            if workload == "fanin" and sc in ("read", "write"):
                d -= k  # the harness: 1 pipe read + 1 pipe write per batch
            if d:
                per[sc] = d / d_ops
        total = sum(per.values())
        if workload == "storm":
            ir = float("nan")  # not profiled with callgrind
        else:
            ir_a = callgrind_ir(f"{tmp}/callgrind-{a}.out")
            ir_b = callgrind_ir(f"{tmp}/callgrind-{b}.out")
            gops_a = ops_of(f"{tmp}/callgrind-{a}.stdout")
            gops_b = ops_of(f"{tmp}/callgrind-{b}.stdout")
            ir = (ir_b - ir_a) / (gops_b - gops_a)
        rows.append((name, imp, total, per, ir))

with open("bench/results/profile.csv", "w") as f:
    f.write("workload,impl,syscalls_per_op,instructions_per_op,breakdown\n")
    for name, imp, total, per, ir in rows:
        br = ";".join(f"{k}={v:.3f}" for k, v in sorted(per.items(), key=lambda x: -x[1]))
        f.write(f"\"{name}\",{imp},{total:.3f},{ir:.1f},{br}\n")

lines = [
    "| workload | implementation | syscalls / op | of which | user-space instructions / op (Ir) |",
    "|---|---|---:|---|---:|",
]
for name, imp, total, per, ir in rows:
    fmt = lambda v: f"{v:.2f}" if v >= 0.1 or v == 0 else (f"{v:.4f}" if v >= 0.001 else f"{v:.1e}")
    br = ", ".join(f"{k} {fmt(v)}" for k, v in sorted(per.items(), key=lambda x: -x[1]) if v > 0)
    irs = "–" if ir != ir else f"{ir:,.0f}"
    lines.append(f"| {name} | {title[imp]} | {fmt(total)} | {br} | {irs} |")
open("bench/results/profile.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
