//! `mio-bench`: this crate side by side with upstream mio 1.2.5, the
//! `polling` crate and a raw `libc` epoll loop, on six workloads (one
//! module each: [`pingpong`], [`fanin`], [`waker`], [`churn`], [`idle`],
//! [`channel`], [`timeout`], [`storm`]; `channel` compares `mio::channel`
//! with `std::sync::mpsc` plus each other implementation's wake-up).
//!
//! Every workload runs each implementation on the very same descriptors,
//! interleaved in short slices (A B C D, B C D A, ...; `--slices` passes
//! of `--time-ms` each per round, 6 x 50 ms by default), for a number of
//! rounds (`--rounds`, 7); every timed loop is bounded by a count and a
//! time, and a watchdog ends a run that hangs. Traffic is loopback only.
//! The report gives, per workload and implementation, the median of the
//! rounds with min and max, and ours relative to each other implementation
//! as the median of the per-round ratios (>1.00x: ours is better).
//!
//! ```text
//! mio-bench [--quick] [--rounds N] [--slices N] [--time-ms MS] [--only LIST]
//!           [--fanin-sizes 1000,10000] [--idle-fds 19000]
//!           [--waker-unpinned] [--csv PATH] [--md PATH]
//! mio-bench profile pingpong|fanin|churn|storm IMPL OPS [--conns N]
//! mio-bench fanin-writer ADDR N        (internal: fan-in's child process)
//! ```
//!
//! `LIST` is a comma-separated subset of
//! `pingpong,fanin,waker,churn,idle,channel,timeout,storm`;
//! `IMPL` is one of `ours,upstream,polling,epoll`. `profile` runs exactly
//! `OPS` operations (round trips, or fan-in batches of N events) of one
//! implementation, for `strace -c` and callgrind (scripts/bench-profile.sh);
//! `churn` (OPS connections) is there too, as an extra, and `storm` (at
//! least OPS wakes delivered; prints the wake calls made as `ops`).

mod channel;
mod churn;
mod fanin;
mod fixture;
mod harness;
mod idle;
mod pingpong;
mod report;
mod storm;
mod timeout;
mod waker;

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use harness::{schedule, watchdog, Better, Budget, Impl, Measurement, Metric};

/// The workloads, in report order.
const WORKLOADS: [&str; 8] = [
    "pingpong", "fanin", "waker", "churn", "idle", "channel", "timeout", "storm",
];

/// What to run, from the command line.
struct Config {
    quick: bool,
    rounds: usize,
    /// Slices per implementation per round.
    slices: usize,
    /// Timed time per slice.
    time: Duration,
    only: Vec<String>,
    fanin_sizes: Vec<usize>,
    idle_fds: usize,
    /// Let the waker workload's two threads float over the CPUs.
    waker_unpinned: bool,
    csv: Option<String>,
    md: Option<String>,
}

impl Config {
    fn parse(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config {
            quick: false,
            rounds: 7,
            slices: 6,
            time: Duration::from_millis(50),
            only: WORKLOADS.iter().map(|s| s.to_string()).collect(),
            fanin_sizes: vec![1_000, 10_000],
            idle_fds: 19_000,
            waker_unpinned: false,
            csv: None,
            md: None,
        };
        let mut rounds = None;
        let mut slices = None;
        let mut time = None;
        let mut explicit_sizes = false;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--quick" => cfg.quick = true,
                "--rounds" => {
                    rounds = Some(value()?.parse().map_err(|e| format!("--rounds: {e}"))?)
                }
                "--slices" => {
                    slices = Some(value()?.parse().map_err(|e| format!("--slices: {e}"))?)
                }
                "--time-ms" => {
                    time = Some(Duration::from_millis(
                        value()?.parse().map_err(|e| format!("--time-ms: {e}"))?,
                    ))
                }
                "--only" => {
                    cfg.only = value()?.split(',').map(str::to_owned).collect();
                    if let Some(bad) = cfg.only.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
                        return Err(format!("unknown workload `{bad}`"));
                    }
                }
                "--fanin-sizes" => {
                    explicit_sizes = true;
                    cfg.fanin_sizes = value()?
                        .split(',')
                        .map(|s| s.parse().map_err(|e| format!("--fanin-sizes: {e}")))
                        .collect::<Result<_, _>>()?
                }
                "--idle-fds" => {
                    cfg.idle_fds = value()?.parse().map_err(|e| format!("--idle-fds: {e}"))?
                }
                "--waker-unpinned" => cfg.waker_unpinned = true,
                "--csv" => cfg.csv = Some(value()?),
                "--md" => cfg.md = Some(value()?),
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        if cfg.quick {
            // A smoke check of every workload and implementation in a few
            // seconds: short runs, and fan-in at 1,000 only (setting up
            // 10,000 connections alone takes seconds).
            cfg.rounds = 3;
            cfg.slices = 1;
            cfg.time = Duration::from_millis(25);
            if !explicit_sizes {
                cfg.fanin_sizes = vec![1_000];
            }
        }
        cfg.rounds = rounds.unwrap_or(cfg.rounds).max(1);
        cfg.slices = slices.unwrap_or(cfg.slices).max(1);
        cfg.time = time.unwrap_or(cfg.time);
        Ok(cfg)
    }

    fn wants(&self, workload: &str) -> bool {
        self.only.iter().any(|w| w == workload)
    }

    /// Budget of one run: the configured time, and a count cap generous
    /// enough never to be the limit on this machine at full speed, yet
    /// bounding the loop should the clock misbehave.
    fn budget(&self, max_ops: u64) -> Budget {
        Budget {
            max_ops,
            time: self.time,
        }
    }

    /// Watchdog limit for one run of the given budget.
    fn limit(&self) -> Duration {
        self.time * 20 + Duration::from_secs(30)
    }
}

const USAGE: &str = "usage: mio-bench [--quick] [--rounds N] [--slices N] [--time-ms MS] [--only pingpong,fanin,waker,churn,idle,channel,timeout,storm]
                 [--fanin-sizes 1000,10000] [--idle-fds 19000] [--waker-unpinned]
                 [--csv PATH] [--md PATH]
       mio-bench profile pingpong|fanin|churn|storm IMPL OPS [--conns N]     (IMPL: ours, upstream, polling, epoll)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("fanin-writer") => fanin_writer(&args[1..]),
        Some("profile") => profile(&args[1..]),
        _ => match Config::parse(&args) {
            Ok(cfg) => bench(&cfg),
            Err(msg) => {
                if !msg.is_empty() {
                    eprintln!("mio-bench: {msg}");
                }
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mio-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fanin_writer(args: &[String]) -> io::Result<()> {
    let bad = || io::Error::new(io::ErrorKind::InvalidInput, "fanin-writer ADDR N");
    let addr = args.first().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
    let n = args.get(1).and_then(|a| a.parse().ok()).ok_or_else(bad)?;
    fanin::writer_main(addr, n)
}

/// `profile pingpong|fanin|churn IMPL OPS [--conns N]`: exactly OPS
/// operations (round trips, fan-in batches of N events, connections).
fn profile(args: &[String]) -> io::Result<()> {
    let bad = |m: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("profile: {m}\n{USAGE}"),
        )
    };
    let workload = args.first().ok_or_else(|| bad("workload?"))?;
    let imp = args
        .get(1)
        .and_then(|s| Impl::parse(s))
        .ok_or_else(|| bad("implementation?"))?;
    let ops: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("operation count?"))?;
    let conns = match args.get(3).map(String::as_str) {
        Some("--conns") => args
            .get(4)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("--conns N"))?,
        _ => 1_000,
    };
    // No time limit inside the run (the count is the bound), but callgrind
    // is slow: a generous watchdog.
    let unbounded = Duration::from_secs(3600);
    let _guard = watchdog(
        &format!("profile {workload} {}", imp.id()),
        Duration::from_secs(1200),
    );
    let m = match workload.as_str() {
        "pingpong" => pingpong::Fixture::new()?.run(
            imp,
            Budget {
                max_ops: ops,
                time: unbounded,
            },
        )?,
        "fanin" => {
            let mut fx = fanin::Fixture::new(conns)?;
            fx.check_delivery = false;
            fx.run(
                imp,
                Budget {
                    max_ops: ops * conns as u64,
                    time: unbounded,
                },
            )?
        }
        "storm" => {
            let s = storm::run(
                imp,
                Budget {
                    max_ops: ops,
                    time: unbounded,
                },
            )?;
            // Every thread's syscalls are counted, so per wake *call*.
            println!(
                "ops={} secs={:.6} delivered={} polls={} native_syscalls_per_wake={}",
                s.wakes,
                s.delivered.elapsed.as_secs_f64(),
                s.delivered.ops,
                s.polls,
                s.syscalls_per_wake()
                    .map_or("-".to_string(), |v| format!("{v:.4}"))
            );
            return Ok(());
        }
        "churn" => churn::Fixture::new()?.run(
            imp,
            Budget {
                max_ops: ops,
                time: unbounded,
            },
        )?,
        other => return Err(bad(&format!("unknown workload `{other}`"))),
    };
    println!("ops={} secs={:.6}", m.ops, m.elapsed.as_secs_f64());
    Ok(())
}

/// Runs `f` for every implementation, interleaved, under the watchdog:
/// first one discarded warm-up slice each, then, for every round, `slices`
/// passes of A B C D (the order rotated at every pass), each pass giving
/// every implementation one slice of the budget. `record` gets, per round
/// and implementation, the samples of its slices.
///
/// Interleaving in short slices, rather than one long run per
/// implementation, is what makes the ratios meaningful on a shared machine:
/// a burst of someone else's compilation then lands on every
/// implementation of the round alike.
fn rounds<T>(
    cfg: &Config,
    name: &str,
    mut f: impl FnMut(Impl, bool) -> io::Result<T>,
    mut record: impl FnMut(Impl, usize, Vec<T>),
) -> io::Result<()> {
    for imp in Impl::ALL {
        let _guard = watchdog(&format!("{name} warm-up {}", imp.id()), cfg.limit());
        f(imp, true)?;
    }
    let mut pass = 0;
    for round in 0..cfg.rounds {
        let mut samples: [Vec<T>; 4] = std::array::from_fn(|_| Vec::new());
        for _ in 0..cfg.slices {
            for imp in schedule(pass) {
                let _guard = watchdog(&format!("{name} round {round} {}", imp.id()), cfg.limit());
                samples[imp.index()].push(f(imp, false)?);
            }
            pass += 1;
        }
        for (imp, s) in Impl::ALL.into_iter().zip(samples) {
            record(imp, round, s);
        }
    }
    Ok(())
}

/// Operations per second over a round's slices.
fn rate(slices: &[Measurement]) -> f64 {
    let ops: u64 = slices.iter().map(|m| m.ops).sum();
    let secs: f64 = slices.iter().map(|m| m.elapsed.as_secs_f64()).sum();
    ops as f64 / secs.max(1e-9)
}

/// Operations per CPU-second of the measuring thread over a round's slices.
fn cpu_rate(slices: &[Measurement]) -> f64 {
    let ops: u64 = slices.iter().map(|m| m.ops).sum();
    let secs: f64 = slices.iter().map(|m| m.cpu.as_secs_f64()).sum();
    ops as f64 / secs.max(1e-9)
}

/// The per-CPU-second companion of a throughput metric.
fn cpu_metric(m: &Metric, unit: &'static str, rounds: usize) -> Metric {
    let mut c = Metric::new(
        format!("{}-cpu", m.id),
        m.title.clone(),
        unit,
        Better::Higher,
        rounds,
    );
    c.secondary = true;
    c
}

/// Median of a round's per-slice values.
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    harness::Stats::of(&v).map_or(f64::NAN, |s| s.median)
}

/// A warm-up slice gets half the time.
fn warm(budget: Budget, warmup: bool) -> Budget {
    if warmup {
        Budget {
            max_ops: budget.max_ops,
            time: budget.time / 2,
        }
    } else {
        budget
    }
}

fn bench(cfg: &Config) -> io::Result<()> {
    let mut metrics: Vec<Metric> = Vec::new();
    let r = cfg.rounds;
    let progress = |m: &Metric| {
        eprintln!(
            "mio-bench: {} done (load {:.2} -> {:.2})",
            m.title, m.load.0, m.load.1
        );
    };

    if cfg.wants("pingpong") {
        let mut m = Metric::new(
            "pingpong".into(),
            "ping-pong".into(),
            "round trips/s",
            Better::Higher,
            r,
        );
        let mut mc = cpu_metric(&m, "round trips/CPU-s", r);
        let mut fx = pingpong::Fixture::new()?;
        let budget = cfg.budget(5_000_000);
        rounds(
            cfg,
            "ping-pong",
            |imp, w| fx.run(imp, warm(budget, w)),
            |imp, round, v| {
                m.set(imp, round, rate(&v));
                mc.set(imp, round, cpu_rate(&v));
            },
        )?;
        m.load.1 = harness::loadavg();
        mc.load = m.load;
        progress(&m);
        metrics.push(m);
        metrics.push(mc);
    }

    if cfg.wants("fanin") {
        for &n in &cfg.fanin_sizes {
            let mut m = Metric::new(
                format!("fanin-{n}"),
                format!("fan-in {}", report::thousands(n as u64)),
                "events/s",
                Better::Higher,
                r,
            );
            let mut mc = cpu_metric(&m, "events/CPU-s", r);
            let mut fx = fanin::Fixture::new(n)?;
            let budget = cfg.budget(200_000_000);
            rounds(
                cfg,
                &m.title.clone(),
                |imp, w| fx.run(imp, warm(budget, w)),
                |imp, round, v| {
                    m.set(imp, round, rate(&v));
                    mc.set(imp, round, cpu_rate(&v));
                },
            )?;
            drop(fx);
            m.load.1 = harness::loadavg();
            mc.load = m.load;
            progress(&m);
            metrics.push(m);
            metrics.push(mc);
        }
    }

    if cfg.wants("waker") {
        let mut m = Metric::new("waker".into(), "waker".into(), "wakes/s", Better::Higher, r);
        let budget = cfg.budget(5_000_000);
        rounds(
            cfg,
            "waker",
            |imp, w| waker::run(imp, warm(budget, w), !cfg.waker_unpinned),
            |imp, round, v| m.set(imp, round, rate(&v)),
        )?;
        m.load.1 = harness::loadavg();
        progress(&m);
        metrics.push(m);
    }

    if cfg.wants("churn") {
        let mut m = Metric::new(
            "churn".into(),
            "churn".into(),
            "connections/s",
            Better::Higher,
            r,
        );
        let mut mc = cpu_metric(&m, "connections/CPU-s", r);
        let mut fx = churn::Fixture::new()?;
        // Bounded well below the ephemeral port range per run.
        let budget = cfg.budget(20_000);
        rounds(
            cfg,
            "churn",
            |imp, w| fx.run(imp, warm(budget, w)),
            |imp, round, v| {
                m.set(imp, round, rate(&v));
                mc.set(imp, round, cpu_rate(&v));
            },
        )?;
        m.load.1 = harness::loadavg();
        mc.load = m.load;
        progress(&m);
        metrics.push(m);
        metrics.push(mc);
    }

    if cfg.wants("idle") {
        let n = cfg.idle_fds;
        let nice = report::thousands(n as u64);
        let mut poll_m = Metric::new(
            "idle-poll".into(),
            format!("idle scale: one poll, 1 ready of {nice}"),
            "µs/poll",
            Better::Lower,
            r,
        );
        let mut rss_m = Metric::new(
            "idle-rss".into(),
            format!("idle scale: user memory per registration ({nice})"),
            "bytes",
            Better::Lower,
            r,
        );
        rss_m.ratios = false;
        let mut fx = idle::Fixture::new(n)?;
        let budget = cfg.budget(if cfg.quick { 2_000 } else { 200_000 });
        rounds(
            cfg,
            "idle",
            |imp, w| fx.run(imp, warm(budget, w)),
            |imp, round, s| {
                poll_m.set(imp, round, median(s.iter().map(|s| s.poll_secs * 1e6)));
                rss_m.set(imp, round, median(s.iter().map(|s| s.rss_per_reg)));
            },
        )?;
        drop(fx);
        let load = harness::loadavg();
        for mut m in [poll_m, rss_m] {
            m.load.1 = load;
            progress(&m);
            metrics.push(m);
        }
    }

    if cfg.wants("channel") {
        let mut m = Metric::new(
            "channel".into(),
            "channel (ours: mio::channel; others: std mpsc + their wake-up)".into(),
            "messages/s",
            Better::Higher,
            r,
        );
        let budget = cfg.budget(2_000_000_000);
        rounds(
            cfg,
            "channel",
            |imp, w| channel::run(imp, warm(budget, w)),
            |imp, round, v| m.set(imp, round, rate(&v)),
        )?;
        m.load.1 = harness::loadavg();
        progress(&m);
        metrics.push(m);
    }

    if cfg.wants("timeout") {
        let mut med: Vec<Metric> = Vec::new();
        let mut p90: Vec<Metric> = Vec::new();
        for t in timeout::TIMEOUTS {
            let us = t.as_micros();
            let name = if us >= 1000 {
                format!("{} ms", us as f64 / 1000.0)
            } else {
                format!("{us} µs")
            };
            med.push(Metric::new(
                format!("timeout-{us}us-median"),
                format!("timeout {name}: median overshoot"),
                "µs",
                Better::Lower,
                r,
            ));
            p90.push(Metric::new(
                format!("timeout-{us}us-p90"),
                format!("timeout {name}: p90 overshoot"),
                "µs",
                Better::Lower,
                r,
            ));
        }
        let budget = cfg.budget(1_000_000);
        rounds(
            cfg,
            "timeout",
            |imp, w| timeout::run(imp, warm(budget, w)),
            |imp, round, slices| {
                for i in 0..timeout::TIMEOUTS.len() {
                    let mut all: Vec<f64> =
                        slices.iter().flat_map(|s| s[i].iter().copied()).collect();
                    all.sort_by(f64::total_cmp);
                    if all.is_empty() {
                        continue;
                    }
                    let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize] * 1e6;
                    med[i].set(imp, round, at(0.5));
                    p90[i].set(imp, round, at(0.9));
                }
            },
        )?;
        let load = harness::loadavg();
        for (mut a, mut b) in med.into_iter().zip(p90) {
            a.load.1 = load;
            b.load.1 = load;
            progress(&a);
            metrics.push(a);
            metrics.push(b);
        }
    }

    if cfg.wants("storm") {
        let mut m = Metric::new(
            "storm".into(),
            format!("wake storm ({} threads, one poller)", storm::THREADS),
            "wakes delivered/s",
            Better::Higher,
            r,
        );
        let mut sys = Metric::new(
            "storm-syscalls".into(),
            "wake storm: syscalls per wake (eventfd writes + waits; not countable for polling)"
                .into(),
            "syscalls/wake",
            Better::Lower,
            r,
        );
        let budget = cfg.budget(2_000_000_000);
        rounds(
            cfg,
            "storm",
            |imp, w| storm::run(imp, warm(budget, w)),
            |imp, round, v| {
                let d: Vec<Measurement> = v.iter().map(|s| s.delivered).collect();
                m.set(imp, round, rate(&d));
                let writes: Option<u64> = v.iter().map(|s| s.writes).sum();
                if let Some(w) = writes {
                    let polls: u64 = v.iter().map(|s| s.polls).sum();
                    let wakes: u64 = v.iter().map(|s| s.wakes).sum();
                    sys.set(imp, round, (w + polls) as f64 / wakes.max(1) as f64);
                }
            },
        )?;
        let load = harness::loadavg();
        for mut x in [m, sys] {
            x.load.1 = load;
            progress(&x);
            metrics.push(x);
        }
    }

    let table = report::markdown(&metrics, cfg.rounds, cfg.slices, cfg.time, cfg.quick);
    println!("{table}");
    if let Some(path) = &cfg.md {
        std::fs::write(path, &table)?;
    }
    if let Some(path) = &cfg.csv {
        std::fs::write(path, report::csv(&metrics))?;
    }
    Ok(())
}
