//! Attack: read the answers. Replaces `tcp_upper_client`'s `src/main.rs`.
//!
//! The solution and the hidden tests are files of the course, and the grader's scratch
//! copy holds the hidden tests' sources in the exercise's judge package, beside the
//! exercise. This program reads them by absolute path, by relative path from wherever it
//! is started, and from the judge package, and prints what it read on stdout and stderr,
//! where the report would show it. `@COURSE@` is filled in by `tests/escapes.rs`.

const COURSE: &str = "@COURSE@";

fn main() {
    let mut paths = vec![
        format!("{COURSE}/solutions/tcp_upper_client/src/lib.rs"),
        format!("{COURSE}/hidden/tcp_upper_client/long_lines.rs"),
        format!("{COURSE}/hidden/tcp_upper_client/reply_in_pieces.transcript"),
        "../lab-judge/tcp_upper_client/tests/hidden_long_lines.rs".to_owned(),
    ];
    for depth in 0..8 {
        let up = "../".repeat(depth);
        paths.push(format!("{up}solutions/tcp_upper_client/src/lib.rs"));
        paths.push(format!("{up}hidden/tcp_upper_client/long_lines.rs"));
    }
    let mut read = Vec::new();
    for path in &paths {
        match std::fs::read_to_string(path) {
            Ok(text) => read.push(format!(
                "READ {path}: {} bytes: {}",
                text.len(),
                text.replace('\n', " | ")
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => read.push(format!("READ {path}: {e}")),
        }
    }
    let not_found = paths.len() - read.len();
    println!("READ: {not_found} of {} paths not found", paths.len());
    eprintln!("READ: {not_found} of {} paths not found", paths.len());
    // What was read comes last: reports show the end of the output.
    for line in &read {
        println!("{line}");
        eprintln!("{line}");
    }
    hang_up();
    std::process::exit(1);
}

/// Connects to the test's server (`--port N`, or the port of an `http://` URL among the
/// arguments) and hangs up at once, so that the test goes on to show what was printed
/// instead of waiting for a client that never comes.
fn hang_up() {
    let args: Vec<String> = std::env::args().collect();
    for (i, arg) in args.iter().enumerate() {
        let port = if arg == "--port" {
            args.get(i + 1).and_then(|p| p.parse::<u16>().ok())
        } else {
            arg.strip_prefix("http://")
                .and_then(|rest| rest.split('/').next()?.rsplit(':').next()?.parse().ok())
        };
        if let Some(port) = port {
            let _ = std::net::TcpStream::connect(("127.0.0.1", port));
        }
    }
}
