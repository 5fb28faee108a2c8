//! The one thing every handler here does besides counting: write a line with write(2),
//! which is async-signal-safe, where println! is not (it takes a lock on stdout).

/// write(1, text, len) from a signal handler: no lock, no allocation, errno kept.
pub fn write_from_handler(text: &[u8]) {
    // SAFETY: __errno_location returns this thread's errno; saving and restoring it
    // is what a handler must do, since write() may change it under the interrupted
    // code's feet.
    let saved = unsafe { *libc::__errno_location() };
    // SAFETY: write(2) on a valid buffer of `text.len()` bytes; a failure is ignored.
    unsafe { libc::write(libc::STDOUT_FILENO, text.as_ptr().cast(), text.len()) };
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}
