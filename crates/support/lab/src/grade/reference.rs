//! The reference build: each probe built against the reference solution, whose answers
//! are the expected ones (see `probe`).
//!
//! It is built from `solutions/`, in a scratch tree and cargo target folder of its own
//! (`Course::reference_dir`): grading runs its programs as the grader, never as the
//! student, and no student's program may read it. Cargo keeps the build, so only the first
//! grading after a change of the solutions or the probes compiles anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::assemble::{self, JUDGE_DIR, probe_package};
use crate::cargo;
use crate::course::Course;
use crate::exercise::Exercise;

/// The reference probes, locked for as long as this is kept (two graders never rebuild
/// them under each other's feet).
pub struct Reference {
    /// By exercise name.
    pub probes: BTreeMap<String, PathBuf>,
    _scratch: Option<assemble::Scratch>,
}

impl Reference {
    /// The reference probe of `exercise`, if it has a probe.
    pub fn probe(&self, exercise: &str) -> Option<&Path> {
        self.probes.get(exercise).map(PathBuf::as_path)
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
    for exercise in &with_probe {
        if !exercise.solution.is_dir() {
            return Err(format!(
                "{} has a probe ({}), which needs the reference solution, but {} is missing",
                exercise.name,
                hidden.join(&exercise.name).join("probe.rs").display(),
                exercise.solution.display()
            ));
        }
    }
    let dir = course.reference_dir();
    let scratch = assemble::assemble(
        course,
        &dir.join("tree"),
        &|exercise| exercise.solution.clone(),
        Some(hidden),
        false,
    )?;
    for exercise in with_probe {
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
        built.insert(exercise.name.clone(), probe);
    }
    Ok(Reference {
        probes: built,
        _scratch: Some(scratch),
    })
}
