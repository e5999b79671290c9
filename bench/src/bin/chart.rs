//! `chart`: turns the benchmark CSV (`bench/results/latest.csv`) into an
//! SVG of the ratios, written by hand, no plotting library.
//!
//! ```text
//! chart [IN.csv] [OUT.svg]      (defaults: bench/results/latest.csv, bench/results/ratios.svg)
//! ```
//!
//! One group per workload, one horizontal bar per other implementation:
//! ours relative to it (median of the per-round ratios), drawn from the
//! 1.00x parity line on a logarithmic axis, so that "ours 2x faster" and
//! "ours 2x slower" are bars of equal length on opposite sides. Right of
//! the line (green side) ours is better; the thin whisker spans the
//! per-round min and max.

use std::fmt::Write;
use std::process::ExitCode;

/// One bar.
struct Bar {
    /// Implementation id from the CSV (`upstream`, `polling`, `epoll`).
    imp: String,
    other: String,
    median: f64,
    min: f64,
    max: f64,
    /// The same ratio per CPU-second of the event loop's thread, where the
    /// CSV has it (its `cpu` table).
    cpu: Option<f64>,
}

/// One group: a workload.
struct Group {
    title: String,
    unit: String,
    bars: Vec<Bar>,
}

/// Splits one CSV line, honouring double quotes.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse(csv: &str) -> Result<Vec<Group>, String> {
    let mut lines = csv.lines();
    let header = fields(lines.next().ok_or("empty CSV")?);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(format!("no column `{name}`"))
    };
    let (c_metric, c_title, c_unit, c_impl) =
        (col("metric")?, col("title")?, col("unit")?, col("impl")?);
    let (c_med, c_min, c_max) = (col("ratio_median")?, col("ratio_min")?, col("ratio_max")?);
    // Optional: rows of the per-CPU-second view are not charted.
    let c_table = header.iter().position(|h| h == "table");
    let mut groups: Vec<(String, Group)> = Vec::new();
    // (metric, impl) -> CPU-time ratio, attached to the bars afterwards.
    let mut cpu: Vec<(String, String, f64)> = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f = fields(line);
        let get = |i: usize| f.get(i).map(String::as_str).unwrap_or("");
        if c_table.is_some_and(|c| get(c) == "cpu") {
            if let Ok(r) = get(c_med).parse() {
                let metric = get(c_metric).trim_end_matches("-cpu").to_owned();
                cpu.push((metric, get(c_impl).to_owned(), r));
            }
            continue;
        }
        let (Ok(median), Ok(min), Ok(max)) =
            (get(c_med).parse(), get(c_min).parse(), get(c_max).parse())
        else {
            continue; // ours' own row, or a metric without ratios
        };
        let imp = get(c_impl).to_owned();
        let other = match get(c_impl) {
            "upstream" => "upstream mio",
            "polling" => "polling",
            "epoll" => "raw epoll",
            o => o,
        }
        .to_owned();
        let metric = get(c_metric).to_owned();
        let idx = match groups.iter().position(|(m, _)| *m == metric) {
            Some(i) => i,
            None => {
                groups.push((
                    metric,
                    Group {
                        title: get(c_title).to_owned(),
                        unit: get(c_unit).to_owned(),
                        bars: Vec::new(),
                    },
                ));
                groups.len() - 1
            }
        };
        groups[idx].1.bars.push(Bar {
            imp,
            other,
            median,
            min,
            max,
            cpu: None,
        });
    }
    for (metric, g) in &mut groups {
        for b in &mut g.bars {
            b.cpu = cpu
                .iter()
                .find(|(m, i, _)| m == metric && *i == b.imp)
                .map(|c| c.2);
        }
    }
    Ok(groups.into_iter().map(|(_, g)| g).collect())
}

fn color(other: &str) -> &'static str {
    match other {
        "upstream mio" => "#3b6fb6",
        "polling" => "#e08a2c",
        _ => "#7a7a7a",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn svg(groups: &[Group]) -> String {
    const W: f64 = 900.0;
    const LEFT: f64 = 170.0; // "vs ..." labels
    const VALUES: f64 = 200.0; // value column on the right
    const TOP: f64 = 112.0;
    const BAR: f64 = 16.0;
    const GAP: f64 = 5.0;
    const HEADER: f64 = 24.0; // a group's title row
    const GROUP_GAP: f64 = 14.0;

    // Log axis over the medians, at least 0.5x .. 2x. Whiskers outside it
    // are clipped (and end in an arrow) so that one noisy round cannot
    // squash every bar.
    let mut lo: f64 = 0.5;
    let mut hi: f64 = 2.0;
    for b in groups.iter().flat_map(|g| &g.bars) {
        lo = lo.min(b.median / 1.1);
        hi = hi.max(b.median * 1.1);
    }
    let plot_w = W - LEFT - VALUES - 20.0;
    let x = |r: f64| LEFT + (r.max(lo).min(hi).ln() - lo.ln()) / (hi.ln() - lo.ln()) * plot_w;

    let rows: usize = groups.iter().map(|g| g.bars.len()).sum();
    let plot_bottom = TOP + rows as f64 * (BAR + GAP) + groups.len() as f64 * (HEADER + GROUP_GAP);
    let height = plot_bottom + 34.0;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height:.0}" viewBox="0 0 {W} {height:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="16" y="26" font-size="17" font-weight="bold">This mio relative to upstream mio 1.2.5, polling 3 and raw epoll</text>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="16" y="46" fill="#444">Bar: median of the per-round ratios (interleaved runs); whisker: min – max over the rounds; log scale.</text>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="16" y="62" fill="#444">Right of the 1.00x line, ours is better (more operations per second, or less time per poll).</text>"##
    );
    let _ = writeln!(
        s,
        r##"<path d="M{},{} l5,5 l-5,5 l-5,-5 z" fill="#fff" stroke="#111" stroke-width="1.2"/><text x="{}" y="78" fill="#444">the same runs counted per CPU-second of the event loop's thread (less sensitive to other processes)</text>"##,
        21.0, 68.0, 32.0
    );
    let x1 = x(1.0);
    let (band_top, band_h) = (TOP - 16.0, plot_bottom - TOP + 16.0);
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{band_top:.1}" width="{:.1}" height="{band_h:.1}" fill="#fbefef"/>"##,
        x1 - LEFT
    );
    let _ = writeln!(
        s,
        r##"<rect x="{x1:.1}" y="{band_top:.1}" width="{:.1}" height="{band_h:.1}" fill="#eef7ee"/>"##,
        LEFT + plot_w - x1
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" fill="#a33" font-size="11">← ours worse</text>"##,
        LEFT + 4.0,
        TOP - 4.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" fill="#2a7a2a" font-size="11" text-anchor="end">ours better →</text>"##,
        LEFT + plot_w - 4.0,
        TOP - 4.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" fill="#444" font-size="11">median (min – max)  ◆ per CPU-s</text>"##,
        W - VALUES + 4.0,
        TOP - 4.0
    );

    // Grid: ticks at "nice" ratios, skipping any too close to the last.
    let mut last_x = f64::NEG_INFINITY;
    for &t in &[
        0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0,
    ] {
        if t < lo || t > hi {
            continue;
        }
        let xt = x(t);
        if t != 1.0 && (xt - last_x < 38.0 || (xt - x1).abs() < 38.0) {
            continue;
        }
        last_x = xt;
        let (stroke, width) = if t == 1.0 {
            ("#222", 1.5)
        } else {
            ("#d4d4d4", 0.8)
        };
        let _ = writeln!(
            s,
            r##"<line x1="{xt:.1}" y1="{band_top:.1}" x2="{xt:.1}" y2="{plot_bottom:.1}" stroke="{stroke}" stroke-width="{width}"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{xt:.1}" y="{:.1}" text-anchor="middle" fill="#444">{t:.2}x</text>"##,
            plot_bottom + 16.0
        );
    }

    let mut y = TOP;
    for g in groups {
        let _ = writeln!(
            s,
            r##"<text x="16" y="{:.1}" font-weight="bold" font-size="13">{}</text><text x="{:.1}" y="{:.1}" fill="#666" font-size="11">{}</text>"##,
            y + 16.0,
            esc(&g.title),
            16.0 + 7.4 * g.title.chars().count() as f64 + 10.0,
            y + 16.0,
            esc(&g.unit)
        );
        y += HEADER;
        for b in &g.bars {
            let xm = x(b.median);
            let (bx, bw) = if xm >= x1 {
                (x1, xm - x1)
            } else {
                (xm, x1 - xm)
            };
            let c = color(&b.other);
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">vs {}</text>"##,
                LEFT - 8.0,
                y + BAR - 4.0,
                esc(&b.other)
            );
            let _ = writeln!(
                s,
                r##"<rect x="{bx:.1}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{c}"/>"##,
                bw.max(1.5)
            );
            let ym = y + BAR / 2.0;
            let (wl, wr) = (x(b.min), x(b.max));
            let _ = writeln!(
                s,
                r##"<line x1="{wl:.1}" y1="{ym:.1}" x2="{wr:.1}" y2="{ym:.1}" stroke="#111" stroke-width="1"/>"##
            );
            if let Some(c) = b.cpu {
                let xc = x(c);
                let _ = writeln!(
                    s,
                    r##"<path d="M{xc:.1},{:.1} l5,5 l-5,5 l-5,-5 z" fill="#fff" stroke="#111" stroke-width="1.2"/>"##,
                    ym - 5.0
                );
            }
            for (clipped, xe, dir) in [(b.min < lo, wl, 1.0), (b.max > hi, wr, -1.0)] {
                if clipped {
                    let _ = writeln!(
                        s,
                        r##"<path d="M{xe:.1},{ym:.1} l{:.1},-4 l0,8 z" fill="#111"/>"##,
                        dir * 7.0
                    );
                }
            }
            // Green above, red below parity; grey when it rounds to 1.00x.
            let shade = |r: f64| {
                if format!("{r:.2}") == "1.00" {
                    "#333"
                } else if r > 1.0 {
                    "#1f5f1f"
                } else {
                    "#8a1f1f"
                }
            };
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-weight="bold" fill="{}">{:.2}x</text><text x="{:.1}" y="{:.1}" fill="#666" font-size="11">({:.2} – {:.2})</text>"##,
                W - VALUES + 4.0,
                y + BAR - 3.0,
                shade(b.median),
                b.median,
                W - VALUES + 50.0,
                y + BAR - 3.0,
                b.min,
                b.max
            );
            if let Some(c) = b.cpu {
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="{}">◆ {c:.2}x</text>"##,
                    W - VALUES + 136.0,
                    y + BAR - 3.0,
                    shade(c)
                );
            }
            y += BAR + GAP;
        }
        y += GROUP_GAP;
    }
    s.push_str("</svg>\n");
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let input = args
        .first()
        .map(String::as_str)
        .unwrap_or("bench/results/latest.csv");
    let output = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("bench/results/ratios.svg");
    let csv = match std::fs::read_to_string(input) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chart: {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let groups = match parse(&csv) {
        Ok(g) if !g.is_empty() => g,
        Ok(_) => {
            eprintln!("chart: {input}: no ratios");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("chart: {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(output, svg(&groups)) {
        eprintln!("chart: {output}: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!("chart: wrote {output}");
    ExitCode::SUCCESS
}
