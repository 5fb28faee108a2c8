//! A self-pipe, and the poll() loop it wakes: a greeting server that reloads its greeting
//! on SIGHUP and stops on SIGINT or SIGTERM, whenever the signal comes.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
//> #[allow(unused_imports)] // for your code
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
//> #[allow(unused_imports)] // for your code
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

//> #[allow(unused_imports)] // for your code
use nix::errno::Errno;
//> #[allow(unused_imports)] // for your code
use nix::fcntl::OFlag;
//> #[allow(unused_imports)] // for your code
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
//> #[allow(unused_imports)] // for your code
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// The write end of the pipe, where the handler can find it (a handler gets nothing but
/// the signal's number).
//> #[allow(dead_code)] // for your handler and Wake::new
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

/// The greeting: the first line of the file. (Given.)
pub fn load(path: &Path) -> io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().next().unwrap_or("").to_owned())
}

/// SIGHUP's work: read the file again, or keep the old greeting if that fails; either
/// way one line on stderr. (Given.)
pub fn reload(path: &Path, greeting: &mut String) {
    match load(path) {
        Ok(text) => {
            eprintln!("reloaded {}: {text}", path.display());
            *greeting = text;
        }
        Err(e) => eprintln!(
            "cannot reload {}: {e}; keeping the old greeting",
            path.display()
        ),
    }
}

/// Serves one client: the greeting and a newline, then close. (Given.)
pub fn greet(mut conn: TcpStream, greeting: &str) {
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let _ = conn.write_all(format!("{greeting}\n").as_bytes());
}

// ANCHOR: exercise
//> // TODO: the handler, `extern "C" fn on_signal(signal: libc::c_int)`: write the signal's
//> // number, one byte, to WRITE_END with libc::write, and leave errno as it found it
//> // (Errno::last_raw() before, Errno::set_raw(saved) after). Nothing else.
// lab:solution
/// The handler: one byte, the signal's number, into the pipe. write(2) is
/// async-signal-safe; errno is put back so the interrupted code never sees ours.
extern "C" fn on_signal(signal: libc::c_int) {
    let saved = Errno::last_raw();
    let byte = signal as u8;
    // SAFETY: write reads one byte from a live local. The pipe is non-blocking: if it is
    // full (a flood of signals), the write fails, and a full pipe is readable anyway.
    unsafe {
        libc::write(
            WRITE_END.load(Ordering::Relaxed),
            (&raw const byte).cast(),
            1,
        )
    };
    Errno::set_raw(saved);
}
// lab:end

/// A pipe to ourselves whose read end becomes readable when one of the signals comes.
pub struct Wake {
    read: OwnedFd,
    _write: OwnedFd,
}

impl Wake {
    /// Makes the pipe and installs the handler for each of `signals`.
    pub fn new(signals: &[Signal]) -> io::Result<Wake> {
        //> // TODO: pipe2 with O_NONBLOCK (the handler must never block on a full pipe, and
        //> // drain must stop when it is empty) and O_CLOEXEC; store the write end's raw fd
        //> // in WRITE_END; sigaction each signal with your handler (SA_RESTART is fine:
        //> // poll is never restarted anyway).
        //> let _ = signals;
        //> todo!("the self-pipe")
        // lab:solution
        let (read, write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        WRITE_END.store(write.as_raw_fd(), Ordering::Relaxed);
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for &signal in signals {
            // SAFETY: on_signal does only async-signal-safe work (write, errno).
            unsafe { sigaction(signal, &action) }?;
        }
        Ok(Wake {
            read,
            _write: write,
        })
        // lab:end
    }

    /// The descriptor to poll: readable once a signal has come. (Given.)
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Reads every byte waiting in the pipe, without waiting for more, and returns the
    /// signals they name, each once, in the order they first came.
    pub fn drain(&self) -> io::Result<Vec<Signal>> {
        //> // TODO: read (nix::unistd::read) into a buffer until it fails with EAGAIN (empty:
        //> // done) or returns 0; retry EINTR. Each byte is a signal's number
        //> // (Signal::try_from(i32::from(byte))); return each signal once.
        //> todo!("drain the pipe")
        // lab:solution
        let mut signals = Vec::new();
        let mut bytes = [0u8; 256];
        loop {
            match nix::unistd::read(&self.read, &mut bytes) {
                Ok(0) | Err(Errno::EAGAIN) => return Ok(signals),
                Ok(n) => {
                    for &byte in &bytes[..n] {
                        if let Ok(signal) = Signal::try_from(i32::from(byte))
                            && !signals.contains(&signal)
                        {
                            signals.push(signal);
                        }
                    }
                }
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        // lab:end
    }
}

/// Greets clients one at a time (`greet`, then `work` of pretend work) until SIGINT or
/// SIGTERM, and returns that signal. On SIGHUP it reloads the greeting from `path`
/// (`reload`) and goes on. When a signal and a client are both waiting, the signal goes
/// first: a client that connects after a SIGHUP gets the new greeting.
pub fn serve(
    listener: &TcpListener,
    wake: &Wake,
    path: &Path,
    mut greeting: String,
    work: Duration,
) -> io::Result<Signal> {
    //> // TODO: loop: poll() the listener and wake.fd() for POLLIN, no timeout (retry
    //> // EINTR). If the pipe is readable: drain it; SIGHUP -> reload(path, &mut greeting);
    //> // SIGINT or SIGTERM -> return it. Then, if the listener is readable: accept,
    //> // greet(conn, &greeting), std::thread::sleep(work). A failed accept is logged
    //> // (eprintln!) and the loop goes on.
    //> let _ = (listener, wake, path, &mut greeting, work);
    //> todo!("the poll loop")
    // lab:solution
    loop {
        let mut fds = [
            PollFd::new(listener.as_fd(), PollFlags::POLLIN),
            PollFd::new(wake.fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        let (client_waiting, signalled) = (ready(&fds[0]), ready(&fds[1]));
        if signalled {
            for signal in wake.drain()? {
                match signal {
                    Signal::SIGHUP => reload(path, &mut greeting),
                    stop => return Ok(stop),
                }
            }
        }
        if client_waiting {
            match listener.accept() {
                Ok((conn, _)) => {
                    greet(conn, &greeting);
                    // Pretend work: a signal that comes now waits in the pipe.
                    std::thread::sleep(work);
                }
                Err(e) => eprintln!("accept: {e}"),
            }
        }
    }
    // lab:end
}
// ANCHOR_END: exercise
