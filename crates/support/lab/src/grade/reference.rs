//! The reference build: each probe built against the reference solution, whose answers
//! are the expected ones (see `probe`).
//!
//! It is built from `solutions/`, in a scratch tree and cargo target folder of its own
//! (`Course::reference_dir`): grading runs its programs as the grader, never as the
//! student, and no student's program may read it. Cargo keeps the build, so only the first
//! grading after a change of the solutions or the probes compiles anything.
//!
//! Where the solution of an exercise is not there (the Gradescope autograder carries no
//! solutions), the reference's answers recorded for one seed stand in:
//! `hidden/NAME/reference-answers.json`, written by `export --gradescope`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::assemble::{self, JUDGE_DIR, probe_package};
use super::probe::{self, Expected, Recorded};
use super::score::Problem;
use crate::cargo;
use crate::course::Course;
use crate::exercise::Exercise;

/// The file of an exercise's hidden tests that holds the reference's recorded answers.
pub const RECORDED: &str = "reference-answers.json";

/// The reference probes, locked for as long as this is kept (two graders never rebuild
/// them under each other's feet).
pub struct Reference {
    /// By exercise name.
    pub probes: BTreeMap<String, ReferenceProbe>,
    _scratch: Option<assemble::Scratch>,
}

/// Where an exercise's expected answers come from.
pub enum ReferenceProbe {
    /// The probe built against the reference solution: run for every seed.
    Built(PathBuf),
    /// Its answers recorded for one seed (a `Recorded`, as JSON).
    Recorded(PathBuf),
}

impl Reference {
    /// The reference probe of `exercise`, if it has a probe.
    pub fn probe(&self, exercise: &str) -> Option<&ReferenceProbe> {
        self.probes.get(exercise)
    }
}

impl ReferenceProbe {
    /// The answers expected in a run seeded `seed`.
    pub fn expected(&self, seed: u64, time_limit: Duration) -> Result<Expected, Problem> {
        match self {
            ReferenceProbe::Built(program) => probe::expected(program, seed, time_limit),
            ReferenceProbe::Recorded(file) => {
                let recorded: Recorded = std::fs::read_to_string(file)
                    .map_err(|e| e.to_string())
                    .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
                    .map_err(|e| {
                        Problem::new(
                            "cannot be judged",
                            format!("the reference's answers: {}: {e}", file.display()),
                        )
                    })?;
                if recorded.seed != seed {
                    return Err(Problem::new(
                        "cannot be judged",
                        format!(
                            "the reference's answers in {} are for seed {}, not {seed} (there \
                             is no reference solution here to answer other seeds); grade \
                             with --seed {}",
                            file.display(),
                            recorded.seed,
                            recorded.seed
                        ),
                    ));
                }
                probe::from_recorded(&recorded)
            }
        }
    }
}

/// The reference probe of every exercise of `chosen` that has a probe in `hidden`.
pub fn probes(course: &Course, hidden: &Path, chosen: &[&Exercise]) -> Result<Reference, String> {
    let with_probe: Vec<&Exercise> = chosen
        .iter()
        .copied()
        .filter(|e| assemble::hidden_tests(hidden, &e.name).probe.is_some())
        .collect();
    let mut built = BTreeMap::new();
    if with_probe.is_empty() {
        return Ok(Reference {
            probes: built,
            _scratch: None,
        });
    }
    // Without its solution, an exercise's recorded answers stand in.
    let mut to_build = Vec::new();
    for exercise in with_probe {
        let recorded = hidden.join(&exercise.name).join(RECORDED);
        if exercise.solution.is_dir() {
            to_build.push(exercise);
        } else if recorded.is_file() {
            built.insert(exercise.name.clone(), ReferenceProbe::Recorded(recorded));
        } else {
            return Err(format!(
                "{} has a probe ({}), which needs the reference solution, but {} is missing \
                 (and there are no recorded answers at {})",
                exercise.name,
                hidden.join(&exercise.name).join("probe.rs").display(),
                exercise.solution.display(),
                recorded.display()
            ));
        }
    }
    if to_build.is_empty() {
        return Ok(Reference {
            probes: built,
            _scratch: None,
        });
    }
    let dir = course.reference_dir();
    let scratch = assemble::assemble(
        course,
        &dir.join("tree"),
        &|exercise| exercise.solution.clone(),
        Some(hidden),
        false,
    )?;
    for exercise in to_build {
        let package = probe_package(&exercise.name);
        let folder = Path::new(JUDGE_DIR).join(&package);
        let probe = cargo::build_probe(
            &scratch.workspace,
            (&package, &folder),
            &dir.join("build"),
        )?
        .map_err(|messages| {
            format!(
                "the probe of {} does not compile against the reference solution:\n{messages}",
                exercise.name
            )
        })?;
        built.insert(exercise.name.clone(), ReferenceProbe::Built(probe));
    }
    Ok(Reference {
        probes: built,
        _scratch: Some(scratch),
    })
}
