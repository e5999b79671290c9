//! The report: a markdown table for people and a CSV for the chart and for
//! later comparison.

use std::fmt::Write;
use std::time::Duration;

use crate::harness::{Impl, Metric, Stats};

/// `19000` -> `19,000`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value with three significant digits and an SI suffix for rates.
fn human(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let digits = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{x:.digits$}{suffix}")
}

fn cell(stats: Option<Stats>) -> String {
    match stats {
        Some(s) => format!(
            "{}<br><sub>{} – {}</sub>",
            human(s.median),
            human(s.min),
            human(s.max)
        ),
        None => "–".into(),
    }
}

fn ratio_cell(stats: Option<Stats>) -> String {
    match stats {
        Some(s) => format!(
            "**{:.2}x**<br><sub>{:.2} – {:.2}</sub>",
            s.median, s.min, s.max
        ),
        None => "–".into(),
    }
}

/// The markdown table (with a short legend).
pub fn markdown(
    metrics: &[Metric],
    rounds: usize,
    slices: usize,
    time: Duration,
    quick: bool,
) -> String {
    let mode = if quick {
        " (quick mode: a smoke check, not a measurement)"
    } else {
        ""
    };
    let mut s = format!(
        "{rounds} rounds; in each, every implementation runs {slices} slice(s) of {} ms \
         (timed), interleaved A B C D, B C D A, and so on{mode}. Cells: median, and min – max over \
         the rounds, of the round's value (operations over the round's timed seconds; for \
         times, the median slice). Ratios: ours relative to the other implementation, the \
         median (min – max) of the per-round ratios; above 1.00x ours is better (faster, or \
         less time).\n\n",
        time.as_millis(),
    );
    table(&mut s, metrics.iter().filter(|m| !m.secondary));
    if metrics.iter().any(|m| m.secondary) {
        let _ = writeln!(
            s,
            "\nThe same runs per CPU-second of the thread running the event loop \
             (`CLOCK_THREAD_CPUTIME_ID`, user + system, over the same timed spans): time the \
             thread spent preempted by other processes drops out, so these ratios are far less \
             noisy on a shared machine. Work the kernel defers to other threads (e.g. `ksoftirqd`) \
             is not counted, alike for every implementation.\n"
        );
        table(&mut s, metrics.iter().filter(|m| m.secondary));
    }
    s
}

fn table<'a>(s: &mut String, metrics: impl Iterator<Item = &'a Metric>) {
    let others = [Impl::Upstream, Impl::Polling, Impl::Epoll];
    let _ = write!(s, "| workload | unit |");
    for imp in Impl::ALL {
        let _ = write!(s, " {} |", imp.title());
    }
    for imp in others {
        let _ = write!(s, " ours vs {} |", imp.title());
    }
    let _ = write!(s, " load |\n|---|---|");
    for _ in 0..Impl::ALL.len() + others.len() {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s, "---|");
    for m in metrics {
        let _ = write!(s, "| {} | {} |", m.title, m.unit);
        for imp in Impl::ALL {
            let _ = write!(s, " {} |", cell(m.stats(imp)));
        }
        for imp in others {
            let _ = write!(s, " {} |", ratio_cell(m.ratio(imp)));
        }
        let _ = writeln!(s, " {:.2} → {:.2} |", m.load.0, m.load.1);
    }
}

/// One CSV row per metric and implementation.
///
/// Columns: `metric,title,unit,better,impl,rounds,median,min,max,`
/// `ratio_median,ratio_min,ratio_max,load_start,load_end,values,table`. The ratio
/// columns are ours relative to that row's implementation (empty on ours'
/// rows and for metrics without ratios); `values` are the per-round
/// values, separated by `;`, in round order; `table` is `main`, or `cpu`
/// for the per-CPU-second view.
pub fn csv(metrics: &[Metric]) -> String {
    let mut s = String::from(
        "metric,title,unit,better,impl,rounds,median,min,max,ratio_median,ratio_min,ratio_max,load_start,load_end,values,table\n",
    );
    for m in metrics {
        for imp in Impl::ALL {
            let st = m.stats(imp);
            let ratio = if imp == Impl::Ours {
                None
            } else {
                m.ratio(imp)
            };
            let num = |x: Option<f64>| x.map(|v| format!("{v:.6}")).unwrap_or_default();
            let values: Vec<String> = m.values[imp.index()]
                .iter()
                .map(|v| format!("{v:.6}"))
                .collect();
            let _ = writeln!(
                s,
                "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{:.2},{:.2},{},{}",
                m.id,
                m.title,
                m.unit,
                match m.better {
                    crate::harness::Better::Higher => "higher",
                    crate::harness::Better::Lower => "lower",
                },
                imp.id(),
                st.map(|s| s.n).unwrap_or(0),
                num(st.map(|s| s.median)),
                num(st.map(|s| s.min)),
                num(st.map(|s| s.max)),
                num(ratio.map(|s| s.median)),
                num(ratio.map(|s| s.min)),
                num(ratio.map(|s| s.max)),
                m.load.0,
                m.load.1,
                values.join(";"),
                if m.secondary { "cpu" } else { "main" },
            );
        }
    }
    s
}
