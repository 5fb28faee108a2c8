//! The command line: what `cargo lab` accepts, and nothing else. Each command is carried
//! out by the module of the same name; a new command is a variant here and an arm in
//! `main.rs`.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};

/// Exercises for the sockets course: check your work, get hints, grade submissions.
#[derive(Parser)]
#[command(name = "cargo lab", version)]
pub struct Args {
    /// The course folder (default: found from the current directory).
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Every exercise, its state, and your progress.
    List,
    /// Run the visible tests of an exercise (default: the next one not done).
    Check { exercise: Option<String> },
    /// Show a hint for an exercise (hint 1, or the one numbered).
    Hint {
        exercise: String,
        number: Option<usize>,
    },
    /// Check the current exercise again whenever you save.
    Watch,
    /// Put an exercise back as it was handed out (your version is saved first).
    Reset { exercise: String },
    /// Maintainers: every solution passes everything, every untouched exercise fails.
    Verify {
        /// Only these exercises.
        exercises: Vec<String>,
        /// Exercises checked at once, in the sandbox (one per core by default); always
        /// one without it.
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Maintainers: make exercises/NAME/src from solutions/NAME/src (their markers).
    Sync {
        /// Write nothing; fail if exercises/ is not what the solutions make.
        #[arg(long)]
        check: bool,
    },
    /// Instructors: play a transcript against a program, to try it out while writing it.
    Play(PlayArgs),
    /// Instructors: write the student edition (no solutions, no hidden tests), or the
    /// course for a grading platform.
    Export(ExportArgs),
    /// Instructors: grade a submission, or a whole class, with the visible and hidden tests.
    Grade(GradeArgs),
    /// Maintainers: time the grading of a generated class of submissions (see the book's
    /// grading chapter).
    BenchGrade(BenchArgs),
}

#[derive(ClapArgs)]
#[group(required = true, multiple = false)]
pub struct ExportArgs {
    /// The student edition: write it into this folder (new or empty).
    #[arg(long)]
    pub student: Option<PathBuf>,
    /// A Gradescope autograder: write it as this zip file (hidden tests inside).
    #[arg(long)]
    pub gradescope: Option<PathBuf>,
    /// A GitHub Classroom template: the student edition and a workflow that runs the
    /// visible tests, in this folder (new or empty).
    #[arg(long)]
    pub classroom: Option<PathBuf>,
}

#[derive(ClapArgs)]
pub struct BenchArgs {
    /// Where to write the submissions, the results, and the plot.
    #[arg(long)]
    pub out: PathBuf,
    /// How many submissions to generate.
    #[arg(long, default_value_t = 30)]
    pub students: usize,
    /// How many of them to grade one at a time too, to compare the scores.
    #[arg(long, default_value_t = 3)]
    pub check: usize,
    /// Seed of the mix of solved, unsolved and broken exercises (and of the grading).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Seconds each test may take, as `grade --time-limit` (the same default: some of the
    /// course's tests take over 10 s on a busy machine).
    #[arg(long, default_value_t = 30)]
    pub time_limit: u64,
}

#[derive(ClapArgs)]
pub struct PlayArgs {
    /// The .transcript file.
    pub transcript: PathBuf,
    /// The program to play it against.
    #[arg(long)]
    pub program: PathBuf,
    /// Seed for the random values.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(ClapArgs)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["submission", "class", "prepare"]))]
pub struct GradeArgs {
    /// The student's copy of the course (or its exercises/ folder).
    #[arg(long)]
    pub submission: Option<PathBuf>,
    /// A class: a folder with one submission (a folder or a git repository) per student,
    /// named after the student.
    #[arg(long, requires = "out")]
    pub class: Option<PathBuf>,
    /// With --class: where to write the gradebook and every student's reports.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only build what every submission shares (the dependencies, the test programs, the
    /// reference probes), to grade faster later.
    #[arg(long)]
    pub prepare: bool,
    /// With --submission: write the results in Gradescope's results.json format here.
    #[arg(long)]
    pub gradescope_results: Option<PathBuf>,
    /// Hidden tests, one folder per exercise (default: hidden/ of this course).
    #[arg(long)]
    pub hidden: Option<PathBuf>,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the results as JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Seconds each test may take.
    #[arg(long, default_value_t = 30)]
    pub time_limit: u64,
    /// Seed for the transcripts' random values and the probes' cases (to replay a run).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Only these exercises.
    #[arg(long = "only")]
    pub only: Vec<String>,
    /// Grade even where the tests cannot be contained (not root, no namespaces): they
    /// then see the machine's files and network, with only the process, memory, file
    /// size and time limits.
    #[arg(long)]
    pub unsafe_no_sandbox: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
