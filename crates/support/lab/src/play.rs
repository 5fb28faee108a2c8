//! `cargo lab play FILE --program P`: plays a transcript against any program, to try it
//! out while writing it.

use crate::cli::PlayArgs;
use crate::grade::Options;
use crate::sandbox;
use crate::transcript::Transcript;

pub fn run(args: &PlayArgs) -> Result<bool, String> {
    sandbox::become_subreaper();
    let file = args.transcript.display();
    let text = std::fs::read_to_string(&args.transcript).map_err(|e| format!("{file}: {e}"))?;
    let transcript = Transcript::parse(&text).map_err(|e| format!("{file}: {e}"))?;
    let mut options = Options::new(30, args.seed);
    // The instructor's own program: in the sandbox when there is one, else without it.
    options.limits.contain = sandbox::available().is_ok();
    let seed = options.seed;
    match transcript.play(&args.program, &options.limits, seed, options.time_limit) {
        Ok(()) => {
            println!("{file}: the program played its part (seed {seed})");
            Ok(true)
        }
        Err(failure) => {
            println!("{file}: (seed {seed})\n{}", failure.report);
            Ok(false)
        }
    }
}
