use std::fmt;
use std::process::ExitCode;

/// An error that ends the program with one line on stderr and exit status 1.
///
/// It converts from any standard error, so `?` works on io results; for the errors a user
/// can cause, build one with [`Fatal::new`] and a message that says what to do.
pub struct Fatal(String);

impl Fatal {
    pub fn new(message: impl Into<String>) -> Self {
        Fatal(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

// `Fatal` deliberately does not implement `std::error::Error`: that keeps this blanket
// conversion coherent (the same trick anyhow uses).
impl<E: std::error::Error> From<E> for Fatal {
    fn from(err: E) -> Self {
        Fatal(err.to_string())
    }
}

impl fmt::Debug for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, Fatal>;

/// The name this program was started as, for the start of error lines.
pub fn program_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .and_then(|arg0| std::path::Path::new(arg0).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program".to_owned())
}

/// Ends `main`: nothing more on success, one line on stderr and exit status 1 on failure.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     netkit::finish(run())
/// }
/// fn run() -> netkit::Result<()> {
///     Ok(())
/// }
/// ```
pub fn finish(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}: {}", program_name(), err.message());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_its_message_however_it_is_shown() {
        let err = Fatal::new("port 80 is already in use");
        assert_eq!(err.message(), "port 80 is already in use");
        assert_eq!(format!("{err:?}"), "port 80 is already in use");
        let io = Fatal::from(std::io::Error::other("disk on fire"));
        assert_eq!(io.message(), "disk on fire");
    }

    #[test]
    fn the_program_is_named_by_the_file_name_it_was_started_as() {
        // These tests run as target/debug/deps/netkit-HASH.
        let name = program_name();
        assert!(name.starts_with("netkit-"), "{name}");
        assert!(!name.contains('/'), "{name}");
    }

    #[test]
    fn finish_is_success_or_status_1() {
        assert_eq!(finish(Ok(())), ExitCode::SUCCESS);
        assert_eq!(finish(Err(Fatal::new("bad"))), ExitCode::FAILURE);
    }
}
