//! What every workload shares: the implementations under test, the per-run
//! budget (every timed loop stops at a count *and* at a time), the
//! interleaved schedule, the watchdog that ends a run that hangs, and the
//! collection of per-round values the report is made from.

use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// One implementation of the event loop under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// This crate (`mio` by path).
    Ours,
    /// `mio` 1.2.5 from crates.io.
    Upstream,
    /// The `polling` crate, 3.x, in edge-triggered mode.
    Polling,
    /// `libc::epoll_*` called directly, edge-triggered.
    Epoll,
}

impl Impl {
    /// Every implementation, in the order of the report's columns.
    pub const ALL: [Impl; 4] = [Impl::Ours, Impl::Upstream, Impl::Polling, Impl::Epoll];

    /// Short machine name, used on the command line and in the CSV.
    pub fn id(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Upstream => "upstream",
            Impl::Polling => "polling",
            Impl::Epoll => "epoll",
        }
    }

    /// Name for people, used in the table and the chart.
    pub fn title(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Upstream => "upstream mio 1.2.5",
            Impl::Polling => "polling 3",
            Impl::Epoll => "raw epoll",
        }
    }

    /// Parses [`Impl::id`].
    pub fn parse(s: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.id() == s)
    }

    /// Column index in [`Impl::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The implementations in the order they run in `round`: the list rotated
/// by the round number, so that over the rounds each one runs in every
/// position (A B C D, B C D A, ...). Nobody is always first after a setup or
/// always last before the next workload.
pub fn schedule(round: usize) -> [Impl; 4] {
    let mut order = Impl::ALL;
    order.rotate_left(round % Impl::ALL.len());
    order
}

/// How much one timed run may do: it stops after `max_ops` operations or
/// once `time` has been spent in the timed part, whichever comes first.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Upper bound on operations.
    pub max_ops: u64,
    /// Upper bound on timed wall-clock time.
    pub time: Duration,
}

impl Budget {
    /// True when a loop that started at `start` and did `ops` operations
    /// must stop. Reads the clock only every 64 operations.
    #[inline]
    pub fn done(&self, ops: u64, start: Instant) -> bool {
        ops >= self.max_ops || (ops.is_multiple_of(64) && start.elapsed() >= self.time)
    }
}

/// Operations done in a measured span.
#[derive(Clone, Copy, Debug)]
pub struct Measurement {
    /// Operations completed.
    pub ops: u64,
    /// Timed wall-clock span.
    pub elapsed: Duration,
    /// CPU time the measuring thread used in that span (user + system,
    /// `CLOCK_THREAD_CPUTIME_ID`); zero where not measured.
    pub cpu: Duration,
}

/// CPU time used so far by the calling thread.
pub fn thread_cpu() -> Duration {
    // SAFETY: all zeroes is a valid timespec, which clock_gettime fills.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        ts
    };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall clock and thread CPU clock, started together.
pub struct Clock {
    /// When the span started.
    pub wall: Instant,
    cpu: Duration,
}

impl Clock {
    /// Starts both clocks.
    pub fn start() -> Clock {
        Clock {
            cpu: thread_cpu(),
            wall: Instant::now(),
        }
    }

    /// Stops both clocks: `ops` operations in the span.
    pub fn stop(&self, ops: u64) -> Measurement {
        Measurement {
            ops,
            elapsed: self.wall.elapsed(),
            cpu: thread_cpu().saturating_sub(self.cpu),
        }
    }
}

// --- watchdog -------------------------------------------------------------

struct Armed {
    label: String,
    deadline: Instant,
}

static WATCH: Mutex<Option<Armed>> = Mutex::new(None);
static WATCHDOG: OnceLock<()> = OnceLock::new();

/// While alive, the process exits with status 3 if it is still alive after
/// its limit: a run that hangs (a lost event, a blocked `poll(None)`) ends
/// the benchmark with a message instead of running forever.
#[must_use]
pub struct Guard(());

/// Arms the watchdog for one run.
pub fn watchdog(label: &str, limit: Duration) -> Guard {
    WATCHDOG.get_or_init(|| {
        thread::Builder::new()
            .name("watchdog".into())
            .spawn(|| loop {
                thread::sleep(Duration::from_millis(100));
                let watch = WATCH.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(armed) = watch.as_ref() {
                    if Instant::now() > armed.deadline {
                        eprintln!(
                            "mio-bench: watchdog: `{}` overran its time limit",
                            armed.label
                        );
                        std::process::exit(3);
                    }
                }
            })
            .expect("spawn the watchdog thread");
    });
    *WATCH.lock().unwrap_or_else(|e| e.into_inner()) = Some(Armed {
        label: label.to_owned(),
        deadline: Instant::now() + limit,
    });
    Guard(())
}

impl Drop for Guard {
    fn drop(&mut self) {
        *WATCH.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

// --- results --------------------------------------------------------------

/// Whether larger or smaller values of a metric are better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Throughput: ratio = ours / theirs.
    Higher,
    /// Time or memory: ratio = theirs / ours.
    Lower,
}

/// One row of the report.
#[derive(Debug)]
pub struct Metric {
    /// Machine id, e.g. `fanin-10000`.
    pub id: String,
    /// Title for the table and chart, e.g. `fan-in 10,000`.
    pub title: String,
    /// Unit of the values, e.g. `events/s`.
    pub unit: &'static str,
    /// Direction.
    pub better: Better,
    /// Whether ratios are meaningful (not for byte counts that are ~0).
    pub ratios: bool,
    /// A secondary view of the same runs (per CPU-second), reported in its
    /// own table and left out of the chart.
    pub secondary: bool,
    /// `values[impl][round]`; NaN where a round did not run.
    pub values: [Vec<f64>; 4],
    /// Load average (1 min) when the metric's rounds started and ended.
    pub load: (f64, f64),
}

impl Metric {
    /// An empty metric for `rounds` rounds.
    pub fn new(
        id: String,
        title: String,
        unit: &'static str,
        better: Better,
        rounds: usize,
    ) -> Self {
        Metric {
            id,
            title,
            unit,
            better,
            ratios: true,
            secondary: false,
            values: std::array::from_fn(|_| vec![f64::NAN; rounds]),
            load: (loadavg(), f64::NAN),
        }
    }

    /// Records the value `imp` measured in `round`.
    pub fn set(&mut self, imp: Impl, round: usize, value: f64) {
        self.values[imp.index()][round] = value;
    }

    /// Median, min and max of one implementation's values.
    pub fn stats(&self, imp: Impl) -> Option<Stats> {
        Stats::of(&self.values[imp.index()])
    }

    /// Ours compared with `other`, round by round (the two ran back to back
    /// in the same round, so the pairing removes slow drifts of the
    /// machine's load); >1 means ours is better. Median, min, max.
    pub fn ratio(&self, other: Impl) -> Option<Stats> {
        if !self.ratios {
            return None;
        }
        let ours = &self.values[Impl::Ours.index()];
        let theirs = &self.values[other.index()];
        let per_round: Vec<f64> = ours
            .iter()
            .zip(theirs)
            .map(|(&o, &t)| match self.better {
                Better::Higher => o / t,
                Better::Lower => t / o,
            })
            .collect();
        Stats::of(&per_round)
    }
}

/// Summary of a set of values.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Number of finite values.
    pub n: usize,
}

impl Stats {
    /// Stats of the finite values in `values`, `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Stats {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }
}

/// The 1-minute load average, NaN if it cannot be read.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
