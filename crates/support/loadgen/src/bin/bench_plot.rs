//! bench_plot: draws the event-loop benchmark's CSV as an SVG bar chart.
//!
//! The CSV is loadgen's (`--format csv`) with one more column at the end,
//! `server_peak_rss_kb`, the server's peak resident memory that the benchmark script reads
//! from `/proc/PID/status`. The chart has three panels side by side, requests per second,
//! p99 latency and the server's memory, each with a group of bars per number of
//! connections and a bar per server. The SVG loads nothing from outside (no fonts, no
//! scripts), so the book can show it offline.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Draw the event-loop benchmark (CSV) as an SVG bar chart.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The CSV the benchmark script wrote.
    csv: String,
    /// Where to write the SVG.
    #[arg(long, short)]
    out: String,
}

/// One row of the CSV: a server under one load.
#[derive(Debug)]
struct Row {
    label: String,
    connections: u64,
    requests_per_s: f64,
    p99_ms: f64,
    rss_mb: f64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let text = std::fs::read_to_string(&args.csv)
        .map_err(|e| Fatal::new(format!("cannot read {}: {e}", args.csv)))?;
    let rows = parse(&text)?;
    std::fs::write(&args.out, svg(&rows))
        .map_err(|e| Fatal::new(format!("cannot write {}: {e}", args.out)))?;
    Ok(())
}

fn parse(text: &str) -> netkit::Result<Vec<Row>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| Fatal::new(format!("the CSV has no column {name}")))
    };
    let (label, connections) = (column("label")?, column("connections")?);
    let (rate, p99, rss) = (
        column("requests_per_s")?,
        column("p99_us")?,
        column("server_peak_rss_kb")?,
    );
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| -> netkit::Result<f64> {
            fields
                .get(i)
                .and_then(|f| f.trim().parse().ok())
                .ok_or_else(|| {
                    Fatal::new(format!("line {}: column {} is not a number", n + 2, i + 1))
                })
        };
        rows.push(Row {
            label: fields.get(label).copied().unwrap_or("").to_owned(),
            connections: number(connections)? as u64,
            requests_per_s: number(rate)?,
            p99_ms: number(p99)? / 1000.0,
            rss_mb: number(rss)? / 1024.0,
        });
    }
    if rows.is_empty() {
        return Err(Fatal::new("the CSV has no rows"));
    }
    Ok(rows)
}

/// A panel of the chart: its title, and the value of a row it shows.
type Panel = (&'static str, fn(&Row) -> f64);

const COLOURS: [&str; 4] = ["#3a6ea5", "#c58a1c", "#6b4fa5", "#8c8c8c"];
const PANEL_WIDTH: f64 = 300.0;
const TOP: f64 = 50.0;
const HEIGHT: f64 = 220.0;

fn svg(rows: &[Row]) -> String {
    let mut labels: Vec<&str> = Vec::new();
    for row in rows {
        if !labels.contains(&row.label.as_str()) {
            labels.push(&row.label);
        }
    }
    let loads: Vec<u64> = rows
        .iter()
        .map(|r| r.connections)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let panels: [Panel; 3] = [
        ("requests per second", |r| r.requests_per_s),
        ("p99 latency (ms)", |r| r.p99_ms),
        ("server peak memory (MiB)", |r| r.rss_mb),
    ];
    let width = 40.0 + PANEL_WIDTH * panels.len() as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 340" width="{width}" height="340" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        "  <title>{} under loadgen: requests per second, p99 latency and memory</title>",
        labels.join(" and ")
    );
    for (p, (title, value)) in panels.iter().enumerate() {
        let left = 60.0 + PANEL_WIDTH * p as f64;
        let plot_width = PANEL_WIDTH - 70.0;
        let top = round_up(rows.iter().map(value).fold(0.0, f64::max) * 1.1);
        let _ = writeln!(
            out,
            r##"  <text x="{:.1}" y="28" text-anchor="middle" fill="#333">{title}</text>"##,
            left + plot_width / 2.0
        );
        for tick in 0..=4 {
            let v = top * tick as f64 / 4.0;
            let y = TOP + HEIGHT - HEIGHT * tick as f64 / 4.0;
            let _ = writeln!(
                out,
                r##"  <line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333" font-size="10">{}</text>"##,
                left + plot_width,
                left - 4.0,
                y + 4.0,
                short(v)
            );
        }
        let group = plot_width / loads.len() as f64;
        let bar = (group - 20.0) / labels.len() as f64;
        for (g, load) in loads.iter().enumerate() {
            let x0 = left + group * g as f64 + 10.0;
            for (b, label) in labels.iter().enumerate() {
                let Some(row) = rows
                    .iter()
                    .find(|r| r.connections == *load && r.label == *label)
                else {
                    continue;
                };
                let v = value(row);
                let h = HEIGHT * v / top;
                let x = x0 + bar * b as f64;
                let _ = writeln!(
                    out,
                    r##"  <rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{label}, {load} connections: {}</title></rect><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333" font-size="10">{}</text>"##,
                    TOP + HEIGHT - h,
                    bar - 2.0,
                    COLOURS[b % COLOURS.len()],
                    short(v),
                    x + (bar - 2.0) / 2.0,
                    TOP + HEIGHT - h - 3.0,
                    short(v)
                );
            }
            let _ = writeln!(
                out,
                r##"  <text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">{load} conn.</text>"##,
                x0 + (group - 20.0) / 2.0,
                TOP + HEIGHT + 16.0
            );
        }
        let _ = writeln!(
            out,
            r##"  <line x1="{left}" y1="{TOP}" x2="{left}" y2="{:.1}" stroke="#333"/><line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
            TOP + HEIGHT,
            TOP + HEIGHT,
            left + plot_width,
            TOP + HEIGHT
        );
    }
    for (b, label) in labels.iter().enumerate() {
        let x = 60.0 + 140.0 * b as f64;
        let _ = writeln!(
            out,
            r##"  <rect x="{x}" y="310" width="12" height="12" fill="{}"/><text x="{:.1}" y="320" fill="#333">{label}</text>"##,
            COLOURS[b % COLOURS.len()],
            x + 16.0
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The smallest of 1, 2, 2.5, 4, 5 and 8 times a power of ten at or above `v`: an axis top
/// whose quarter marks are round numbers.
fn round_up(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 4.0, 5.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|top| *top >= v)
        .unwrap_or(10.0 * power)
}

/// 12345 as "12k", 2.5 as "2.5": short enough to sit on a bar.
fn short(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1_000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us,server_peak_rss_kb
thread,persistent,1000,64,30000,0,0.6,47000,1500,590,1678,41784,82530,26828,1032395,16000
epoll,persistent,1000,64,30000,0,0.5,52000,1800,300,900,2000,9000,20000,900000,2500
";

    #[test]
    fn every_row_is_a_bar_in_each_of_the_three_panels() {
        let rows = parse(CSV).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].rss_mb, 2500.0 / 1024.0);
        let svg = svg(&rows);
        assert_eq!(svg.matches("<rect").count(), 2 * 3 + 2); // bars, then the legend
        assert!(
            svg.contains("<title>epoll, 1000 connections: 52k</title>"),
            "{svg}"
        );
        assert!(!svg.contains("href"));
    }

    #[test]
    fn axis_tops_are_round_numbers() {
        assert_eq!(round_up(61_930.0), 80_000.0);
        assert_eq!(round_up(497.0), 500.0);
        assert_eq!(round_up(80.2), 100.0);
        assert_eq!(round_up(3.1), 4.0);
    }

    #[test]
    fn a_csv_without_the_memory_column_is_refused_with_its_name() {
        let err = parse("label,connections,requests_per_s,p99_us\nx,1,2,3\n").unwrap_err();
        assert_eq!(err.message(), "the CSV has no column server_peak_rss_kb");
    }
}
