//! Attack: fill the disk. Added to `wire` as `src/attack.rs`; `send_all`, `recv_exact`
//! and `read_line` call `strike`.
//!
//! It ignores SIGXFSZ (so a file past the size limit is an error, not the end), then
//! writes 16 MiB at a time into files of up to 256 MiB, named `escape-fill-N`, in every
//! folder it might write to, until each one refuses. The test's failure message says how
//! far it got and why it stopped.

use std::io::Write;

unsafe extern "C" {
    fn signal(signal: i32, handler: usize) -> usize;
}

const SIGXFSZ: i32 = 25;
const SIG_IGN: usize = 1;

pub fn strike() -> ! {
    // SAFETY: SIG_IGN is a valid disposition for SIGXFSZ.
    unsafe { signal(SIGXFSZ, SIG_IGN) };
    let chunk = vec![7u8; 16 << 20];
    let mut folders: Vec<String> = ["TMPDIR", "HOME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .collect();
    folders.extend(["/tmp", "/var/tmp", "/dev/shm", "."].map(String::from));
    folders.dedup();
    let mut said = Vec::new();
    let mut total = 0;
    for folder in &folders {
        // Each distinct reason it was stopped, in order.
        let mut stops: Vec<String> = Vec::new();
        let mut stop = |e: std::io::Error| {
            let e = e.to_string();
            if !stops.contains(&e) {
                stops.push(e);
            }
        };
        'files: for n in 0..64 {
            let path = format!("{folder}/escape-fill-{n}");
            let mut file = match std::fs::File::create_new(&path) {
                Ok(file) => file,
                Err(e) => {
                    stop(e);
                    break;
                }
            };
            for _ in 0..16 {
                if let Err(e) = file.write_all(&chunk) {
                    let too_large = e.raw_os_error() == Some(27);
                    stop(e);
                    if too_large {
                        break; // on to the next file
                    }
                    break 'files; // the folder is full
                }
                total += 16;
            }
        }
        said.push(format!("{folder}: {}", stops.join(", then ")));
    }
    panic!("DISK: wrote {total} MiB in all; {}", said.join("; "));
}
