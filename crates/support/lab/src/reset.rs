//! `cargo lab reset EX`: puts the untouched sources back, after saving the student's.

use crate::course::Course;
use crate::files;

pub fn run(course: &Course, name: &str) -> Result<bool, String> {
    let exercise = course.pick(name)?;
    let name = &exercise.name;
    let pristine = exercise.pristine()?;
    let src = exercise.src();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Outside target/, which `cargo clean` empties; a second reset within the same
    // second gets a folder of its own rather than writing over the first one's copy.
    let folder = course.root.join(".lab/backup");
    let backup = (1..)
        .map(|n| match n {
            1 => folder.join(format!("{name}-{stamp}")),
            n => folder.join(format!("{name}-{stamp}-{n}")),
        })
        .find(|dir| !dir.exists())
        .expect("some folder name is free");
    for (rel, abs) in files::files_under(&src, 10_000) {
        let to = backup.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::copy(&abs, &to).map_err(|e| e.to_string())?;
        std::fs::remove_file(&abs).map_err(|e| e.to_string())?;
    }
    for (rel, content) in pristine {
        let to = src.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(&to, content).map_err(|e| e.to_string())?;
    }
    println!(
        "{name} is back to its starting point; your version is saved in {}",
        backup.display()
    );
    Ok(true)
}
