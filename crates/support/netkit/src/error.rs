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
