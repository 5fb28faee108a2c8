//! Why a signal handler must call only async-signal-safe functions: strtok() in a handler
//! breaks strtok() in the main program.
//!
//! strtok() remembers where it stopped in a hidden static variable, so that
//! `strtok(NULL, ...)` can carry on. The main loop here cuts "alpha beta gamma delta" into
//! words, over and over; a timer interrupts it thousands of times a second, and the
//! handler cuts "x,y,z" with strtok() too. When the handler runs between two of main's
//! calls, it moves strtok's hidden position into its own string, and main's next
//! `strtok(NULL, " ")` carries on from there: main gets the wrong words, or too few.
//!
//! `--safe` uses strtok_r() on both sides: the position lives in a variable each caller
//! passes in, nothing is shared, nothing breaks. strtok_r is on POSIX's list of
//! async-signal-safe functions (`man 7 signal-safety`); strtok is not, and neither are
//! malloc, printf or anything that takes a lock.

use std::ffi::{CStr, c_char};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::Fatal;

/// Tokenise a string in a loop while a timer's handler tokenises another: strtok breaks.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// strtok_r() on both sides instead of strtok().
    #[arg(long)]
    safe: bool,
    /// Stop after this many seconds (or after 5000 signals, whichever comes first).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    seconds: u64,
}

const MAIN_TEXT: &[u8] = b"alpha beta gamma delta\0";
const EXPECTED: [&[u8]; 4] = [b"alpha", b"beta", b"gamma", b"delta"];
const HANDLER_TEXT: &[u8] = b"x,y,z\0";
const ENOUGH_SIGNALS: usize = 5000;

static SAFE: AtomicBool = AtomicBool::new(false);
static HANDLED: AtomicUsize = AtomicUsize::new(0);
/// The handler's own string. Only the handler touches it, and a handler is not
/// interrupted by its own signal (SIGALRM is blocked while it runs).
static mut HANDLER_BUF: [u8; 6] = [0; 6];

// ANCHOR: handler
extern "C" fn on_alarm(_: libc::c_int) {
    let buf = (&raw mut HANDLER_BUF).cast::<c_char>();
    // SAFETY: HANDLER_BUF is 6 bytes, HANDLER_TEXT too; memcpy is
    // async-signal-safe, and nothing else uses the buffer.
    unsafe { libc::memcpy(buf.cast(), HANDLER_TEXT.as_ptr().cast(), HANDLER_TEXT.len()) };
    let comma = c",".as_ptr();
    if SAFE.load(Ordering::Relaxed) {
        // strtok_r: the position is in `save`, a local of this call.
        let mut save: *mut c_char = std::ptr::null_mut();
        // SAFETY: a NUL-terminated buffer, and a valid place for the position.
        let mut token = unsafe { libc::strtok_r(buf, comma, &mut save) };
        while !token.is_null() {
            // SAFETY: as above; NULL means "carry on where `save` says".
            token = unsafe { libc::strtok_r(std::ptr::null_mut(), comma, &mut save) };
        }
    } else {
        // strtok: the position is in a static inside the C library, the same
        // one main's calls are using right now. NOT async-signal-safe: memory
        // stays valid (both strings are static or outlive the calls), but the
        // position main relies on is moved under its feet.
        // SAFETY: a NUL-terminated buffer that outlives the calls.
        let mut token = unsafe { libc::strtok(buf, comma) };
        while !token.is_null() {
            // SAFETY: as above.
            token = unsafe { libc::strtok(std::ptr::null_mut(), comma) };
        }
    }
    HANDLED.fetch_add(1, Ordering::Relaxed);
}
// ANCHOR_END: handler

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    SAFE.store(args.safe, Ordering::Relaxed);
    // sigaction(SIGALRM, ...) with SA_RESTART; then a timer every 200 µs.
    // SAFETY: sigaction is a plain C struct; all zeros plus the fields set below
    // is a valid value, and the handler does only what is described above.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut()) == -1 {
            return Err(Fatal::new("sigaction failed"));
        }
    }
    set_timer(200)?;

    // ANCHOR: main_loop
    let began = Instant::now();
    let limit = Duration::from_secs(args.seconds);
    let (mut rounds, mut broken) = (0u64, 0u64);
    let mut example: Option<Vec<String>> = None;
    while began.elapsed() < limit && HANDLED.load(Ordering::Relaxed) < ENOUGH_SIGNALS {
        let mut buf = [0u8; MAIN_TEXT.len()];
        buf.copy_from_slice(MAIN_TEXT);
        let words = tokenize(&mut buf, args.safe);
        rounds += 1;
        if words.iter().map(Vec::as_slice).ne(EXPECTED) {
            broken += 1;
            example.get_or_insert_with(|| {
                words
                    .iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect()
            });
        }
    }
    set_timer(0)?;
    // ANCHOR_END: main_loop

    let calls = if args.safe { "strtok_r" } else { "strtok" };
    println!(
        "with {calls}: main cut the string {rounds} times while the handler ran {} times",
        HANDLED.load(Ordering::Relaxed)
    );
    match example {
        None => println!("every time, main got [alpha, beta, gamma, delta]"),
        Some(words) => println!(
            "{broken} times main got the wrong words, for example [{}]",
            words.join(", ")
        ),
    }
    Ok(())
}

// ANCHOR: tokenize
/// Main's side: the words of `buf`, cut at spaces with strtok (or strtok_r).
fn tokenize(buf: &mut [u8], safe: bool) -> Vec<Vec<u8>> {
    let space = c" ".as_ptr();
    let mut save: *mut c_char = std::ptr::null_mut();
    let mut next = |s: *mut c_char| {
        // SAFETY: `buf` is NUL-terminated and outlives every call; `save` is ours.
        unsafe {
            if safe {
                libc::strtok_r(s, space, &mut save)
            } else {
                libc::strtok(s, space)
            }
        }
    };
    let mut words = Vec::new();
    let mut token = next(buf.as_mut_ptr().cast());
    // At most 8 words: a broken strtok may wander anywhere, but not forever.
    while !token.is_null() && words.len() < 8 {
        // SAFETY: strtok returns a pointer to a NUL-terminated word inside a
        // live buffer: main's, or (when it breaks) the handler's static one.
        words.push(unsafe { CStr::from_ptr(token) }.to_bytes().to_vec());
        token = next(std::ptr::null_mut());
    }
    words
}
// ANCHOR_END: tokenize

/// setitimer(ITIMER_REAL): SIGALRM every `micros` microseconds (0 stops it).
fn set_timer(micros: i64) -> netkit::Result<()> {
    let every = libc::timeval {
        tv_sec: 0,
        tv_usec: micros,
    };
    let timer = libc::itimerval {
        it_interval: every,
        it_value: every,
    };
    // SAFETY: a valid itimerval; the old value is not wanted.
    if unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) } == -1 {
        return Err(Fatal::new(format!(
            "setitimer: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}
