//! bench_chart: turns loadgen's CSV (`--format csv`, or a header and `csv-row` lines) into
//! an SVG bar chart: one bar per row, its length the requests per second, with the
//! median and 99th-percentile latency written beside it. The SVG is self-contained (no
//! fonts or scripts from elsewhere), so a book can include it as it is.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Draw loadgen's CSV as an SVG bar chart of requests per second.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The CSV file loadgen wrote.
    csv: PathBuf,
    /// Where to write the SVG.
    svg: PathBuf,
    /// The chart's title.
    #[arg(long, default_value = "Requests per second")]
    title: String,
}

/// One bar.
struct Bar {
    label: String,
    requests_per_s: f64,
    p50_us: u64,
    p99_us: u64,
    errors: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let text = std::fs::read_to_string(&args.csv)
        .map_err(|e| Fatal::new(format!("cannot read {}: {e}", args.csv.display())))?;
    let bars = parse(&text).map_err(|e| Fatal::new(format!("{}: {e}", args.csv.display())))?;
    let svg = draw(&args.title, &bars);
    std::fs::write(&args.svg, svg)
        .map_err(|e| Fatal::new(format!("cannot write {}: {e}", args.svg.display())))?;
    Ok(())
}

/// The rows of loadgen's CSV, by the names in its header.
fn parse(text: &str) -> Result<Vec<Bar>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().ok_or("empty file")?.split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|&h| h == name)
            .ok_or(format!("no column {name} in the header"))
    };
    let (label, rate, p50, p99, errors) = (
        column("label")?,
        column("requests_per_s")?,
        column("p50_us")?,
        column("p99_us")?,
        column("errors")?,
    );
    lines
        .map(|line| {
            let fields = split_csv(line);
            let get = |i: usize| fields.get(i).cloned().ok_or(format!("short row: {line}"));
            let number = |i: usize| -> Result<f64, String> {
                get(i)?
                    .parse()
                    .map_err(|_| format!("not a number in: {line}"))
            };
            Ok(Bar {
                label: get(label)?,
                requests_per_s: number(rate)?,
                p50_us: number(p50)? as u64,
                p99_us: number(p99)? as u64,
                errors: number(errors)? as u64,
            })
        })
        .collect()
}

/// A CSV line's fields, with `"quoted, fields"` and `""` inside them.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars: label on the left, bar, then the figures.
fn draw(title: &str, bars: &[Bar]) -> String {
    const LEFT: f64 = 300.0;
    const BAR_SPACE: f64 = 360.0;
    const ROW: f64 = 34.0;
    const TOP: f64 = 50.0;
    let width = 940.0;
    let height = TOP + ROW * bars.len() as f64 + 40.0;
    let max = bars
        .iter()
        .map(|b| b.requests_per_s)
        .fold(1.0_f64, f64::max);
    // A round top for the scale: 1, 2 or 5 times a power of ten.
    let magnitude = 10f64.powf(max.log10().floor());
    let top = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&t| t >= max)
        .unwrap_or(max);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" \
         height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(svg, "  <title>{}</title>", escape(title));
    let _ = writeln!(
        svg,
        "  <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
    );
    let _ = writeln!(
        svg,
        "  <text x=\"{}\" y=\"24\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>",
        width / 2.0,
        escape(title)
    );
    // Grid lines at round steps: fifths of 10, 50 or 100, quarters of 20.
    let steps = if (top / magnitude - 2.0).abs() < 1e-9 {
        4
    } else {
        5
    };
    for q in 0..=steps {
        let x = LEFT + BAR_SPACE * f64::from(q) / f64::from(steps);
        let value = top * f64::from(q) / f64::from(steps);
        let _ = writeln!(
            svg,
            "  <line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#ddd\"/>",
            TOP - 8.0,
            height - 30.0
        );
        let _ = writeln!(
            svg,
            "  <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            height - 14.0,
            thousands(value)
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let length = BAR_SPACE * bar.requests_per_s / top;
        let colour = if bar.label.starts_with("nginx") {
            "#4e79a7"
        } else {
            "#e15759"
        };
        let _ = writeln!(
            svg,
            "  <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 8.0,
            y + 16.0,
            escape(&bar.label)
        );
        let _ = writeln!(
            svg,
            "  <rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{length:.1}\" height=\"22\" fill=\"{colour}\">\
             <title>{}: {} requests/s</title></rect>",
            escape(&bar.label),
            thousands(bar.requests_per_s)
        );
        let errors = if bar.errors == 0 {
            String::new()
        } else {
            format!(", {} errors", bar.errors)
        };
        let _ = writeln!(
            svg,
            "  <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{} req/s · p50 {} µs · p99 {} µs{errors}</text>",
            LEFT + length + 6.0,
            y + 16.0,
            thousands(bar.requests_per_s),
            thousands(bar.p50_us as f64),
            thousands(bar.p99_us as f64)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// 12345.6 → "12,346".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_bars_and_quoted_labels_survive() {
        let csv = "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us\n\
                   nginx,http-keep-alive,64,1211,100,0,1.000,45000,1,1200,1,3100,1,1,1\n\
                   \"http_server, 1000 slow\",http-keep-alive,8,1211,100,2,1.000,38000,1,900,1,2500,1,1,1\n";
        let bars = parse(csv).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[1].label, "http_server, 1000 slow");
        assert_eq!((bars[1].p50_us, bars[1].errors), (900, 2));
        let svg = draw("t <&>", &bars);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("<title>t &lt;&amp;&gt;</title>"));
        assert!(svg.contains("45,000 req/s · p50 1,200 µs · p99 3,100 µs"));
        assert!(svg.contains(", 2 errors"));
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }
}
