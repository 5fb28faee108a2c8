//! `cargo lab verify`: every solution passes all its tests (hidden ones included) and
//! every untouched exercise compiles and fails at least one visible test. It runs the
//! grading pipeline twice per exercise: on the solutions, assembled into a scratch tree
//! of their own, and on the exercises as they are.

use crate::contents::Contents;
use crate::course::Course;
use crate::exercise::Exercise;
use crate::grade::score::{ExerciseResult, Kind};
use crate::grade::{self, Options, assemble, reference, report};
use crate::sandbox;

/// Runs the check of `only` (every exercise when empty), `jobs` exercises at a time
/// (`None`: as many as the machine has cores, when the sandbox keeps them apart).
pub fn run(course: &Course, only: &[String], jobs: Option<usize>) -> Result<bool, String> {
    sandbox::become_subreaper();
    let mut options = Options::new(30, Some(1));
    // The solutions and exercises are the course's own code: where the sandbox is not
    // available, verify runs them without it (and says so); where it is, they run in it,
    // so that verify shows they pass where grading runs them.
    if let Err(why) = sandbox::available() {
        eprintln!("cargo lab verify: running the course's code without the sandbox: {why}");
        options.limits.contain = false;
    }
    // Most of an exercise's time is its tests waiting on sockets and timers, so several
    // exercises at once finish sooner, but only where the sandbox gives each program a
    // user of its own. Without the sandbox, the cleanup after one test kills every child
    // of the grader that is not a running test (another exercise's cargo build, say);
    // with `nobody` for all, two tests would share one process limit.
    let apart = options.limits.contain && sandbox::separate_users();
    let jobs = match jobs {
        _ if !apart => {
            if jobs.is_some_and(|jobs| jobs > 1) {
                eprintln!(
                    "cargo lab verify: one exercise at a time: without the sandbox's users \
                     of their own, the exercises' programs cannot be kept apart"
                );
            }
            1
        }
        Some(jobs) => jobs.max(1),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if jobs > 1 {
        crate::cargo::hide_spinners();
    }
    let chosen = course.pick_all(only)?;
    let mut problems = Vec::new();
    for exercise in &chosen {
        let name = &exercise.name;
        if !exercise.solution.is_dir() {
            problems.push(format!(
                "{name}: no solution in {}",
                exercise.solution.display()
            ));
        }
        for file in ["README.md", "hints.md"] {
            if !exercise.dir.join(file).is_file() {
                problems.push(format!("{name}: exercises/{name}/{file} is missing"));
            }
        }
    }
    problems.extend(chapter_problems(
        course,
        &chosen,
        &Contents::read(&course.root),
    ));
    let hidden = course.hidden_dir();
    let reference = reference::probes(course, &hidden, &chosen)?;
    // The solutions are the course's own: the visible tests of an exercise with a probe,
    // which call its library inside the test, run too (grading leaves them out).
    let scratch = assemble::assemble(
        course,
        &course.target_dir().join("verify"),
        &|exercise| exercise.solution.clone(),
        Some(&hidden),
        true,
    )?;
    let verify_one = |exercise: &Exercise| {
        let name = &exercise.name;
        let transcripts = assemble::hidden_tests(&hidden, name).transcripts;
        let solved = grade::exercise_pipeline(
            &scratch.workspace,
            name,
            &course.build_dir("verify"),
            &transcripts,
            reference.probe(name),
            &options,
        );
        let untouched = grade::exercise_pipeline(
            &course.exercises_dir(),
            name,
            &course.build_dir("check"),
            &[],
            None,
            &options,
        );
        (summary(&solved, &untouched), judge(&solved, &untouched))
    };
    in_order(&chosen, jobs, verify_one, |(line, found)| {
        println!("{line}");
        problems.extend(found);
    });
    for problem in &problems {
        eprintln!("\nPROBLEM {problem}");
    }
    if problems.is_empty() {
        println!("\nverified {} exercises", chosen.len());
    }
    Ok(problems.is_empty())
}

/// Does `work` on every item, `jobs` items at a time, and hands each result to `emit`
/// in the items' order, as soon as it and those before it are done: the work overlaps,
/// and the output still reads in course order.
fn in_order<T: Sync, R: Send>(
    items: &[&T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    mut emit: impl FnMut(R),
) {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    let (done, results) = mpsc::channel();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(items.len()) {
            let done = done.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let _ = done.send((i, work(item)));
                }
            });
        }
        // The workers hold the only senders now: the loop ends when the last one does.
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut emitted = 0;
        for (i, result) in results {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&emitted) {
                emit(result);
                emitted += 1;
            }
        }
    });
}

/// What is wrong with the chapters the exercises name (`[package.metadata.lab] chapter`
/// in `exercises/NAME/Cargo.toml`): each of `chosen` must name a chapter of the book whose
/// page shows the exercise (`exercises/NAME/`), and the course order (the members of
/// `exercises/Cargo.toml`) must follow the book's.
fn chapter_problems(course: &Course, chosen: &[&Exercise], contents: &Contents) -> Vec<String> {
    let mut problems = Vec::new();
    for exercise in chosen {
        let name = &exercise.name;
        let Some(chapter) = exercise.chapter() else {
            problems.push(format!(
                "{name}: exercises/{name}/Cargo.toml names no chapter; add\n\
                 [package.metadata.lab]\nchapter = \"partN/CHAPTER.md\"   # the book's page, as in book/src/SUMMARY.md"
            ));
            continue;
        };
        if contents.part_of(&chapter).is_none() {
            problems.push(format!(
                "{name}: its chapter {chapter:?} is in no part of book/src/SUMMARY.md"
            ));
            continue;
        }
        let page = course.root.join("book/src").join(&chapter);
        let shown = std::fs::read_to_string(&page)
            .is_ok_and(|text| text.contains(&format!("exercises/{name}/")));
        if !shown {
            problems.push(format!(
                "{name}: book/src/{chapter} does not show the exercise: its section \
                 \"## Exercise\" should include exercises/{name}/src (see book/src/part5/udp-pinger.md)"
            ));
        }
    }
    let mut last: Option<(&str, usize)> = None;
    for exercise in &course.exercises {
        let Some(position) = exercise.chapter().and_then(|c| contents.position(&c)) else {
            continue;
        };
        if let Some((before, its)) = last
            && position < its
        {
            problems.push(format!(
                "{}: its chapter comes before {before}'s in the book, so it belongs before \
                 {before} in the members of exercises/Cargo.toml",
                exercise.name
            ));
        }
        last = Some((&exercise.name, position));
    }
    problems
}

/// `wire: solution passes 11/11 (6 visible, 5 hidden, 0 transcripts); untouched exercise
/// fails 6/6 visible`.
fn summary(solved: &ExerciseResult, untouched: &ExerciseResult) -> String {
    format!(
        "{}: solution passes {}/{} ({} visible, {} hidden, {} transcripts); untouched exercise fails {}/{} visible",
        solved.name,
        solved.passed(None),
        solved.total(None),
        solved.total(Some(Kind::Visible)),
        solved.total(Some(Kind::Hidden)),
        solved.total(Some(Kind::Transcript)),
        fails_visible(untouched),
        untouched.total(Some(Kind::Visible))
    )
}

fn fails_visible(result: &ExerciseResult) -> usize {
    result.total(Some(Kind::Visible)) - result.passed(Some(Kind::Visible))
}

/// What is wrong with an exercise, given how its solution and its untouched version did.
fn judge(solved: &ExerciseResult, untouched: &ExerciseResult) -> Vec<String> {
    let name = &solved.name;
    let mut problems = Vec::new();
    if solved.problem.is_some() || solved.passed(None) != solved.total(None) {
        problems.push(format!(
            "{name}: the solution does not pass everything\n{}",
            report::table(std::slice::from_ref(solved), true)
        ));
    }
    if solved.total(Some(Kind::Visible)) == 0 {
        problems.push(format!("{name}: no visible tests"));
    }
    if solved.total(Some(Kind::Hidden)) + solved.total(Some(Kind::Transcript)) == 0 {
        problems.push(format!("{name}: no hidden tests in hidden/{name}/"));
    }
    if let Some(problem) = &untouched.problem {
        problems.push(format!(
            "{name}: the untouched exercise must compile, but: {}\n{}",
            problem.what, problem.detail
        ));
    } else if fails_visible(untouched) == 0 {
        problems.push(format!(
            "{name}: the untouched exercise passes every visible test: its tests check nothing the student writes"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A course whose exercises name `chapters` (none: no metadata), each page showing
    /// the exercise, with a book of three chapters.
    fn course(dir: &Path, chapters: &[(&str, Option<&str>)]) -> Course {
        let summary = "# Summary\n[Intro](intro.md)\n# Part 1 — A\n- [One](p1/one.md)\n\
                       - [Two](p1/two.md)\n# Part 2 — B\n- [Three](p2/three.md)\n";
        std::fs::create_dir_all(dir.join("book/src/p1")).unwrap();
        std::fs::create_dir_all(dir.join("book/src/p2")).unwrap();
        std::fs::write(dir.join("book/src/SUMMARY.md"), summary).unwrap();
        let mut exercises = Vec::new();
        for (i, (name, chapter)) in chapters.iter().enumerate() {
            let exercise = Exercise::new(dir, name.to_string(), i + 1);
            std::fs::create_dir_all(&exercise.dir).unwrap();
            let mut manifest = format!("[package]\nname = {name:?}\n");
            if let Some(chapter) = chapter {
                manifest += &format!("[package.metadata.lab]\nchapter = {chapter:?}\n");
                let page = dir.join("book/src").join(chapter);
                let text = std::fs::read_to_string(&page).unwrap_or_default();
                if page.parent().unwrap().is_dir() {
                    std::fs::write(page, text + &format!("exercises/{name}/src/lib.rs\n")).unwrap();
                }
            }
            std::fs::write(exercise.dir.join("Cargo.toml"), manifest).unwrap();
            exercises.push(exercise);
        }
        Course {
            root: dir.to_path_buf(),
            exercises,
        }
    }

    fn problems(chapters: &[(&str, Option<&str>)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let course = course(dir.path(), chapters);
        let all: Vec<&Exercise> = course.exercises.iter().collect();
        chapter_problems(&course, &all, &Contents::read(&course.root))
    }

    #[test]
    fn in_order_overlaps_the_work_and_emits_in_the_items_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::{Duration, Instant};

        // The first items take longest, so they finish last when run side by side.
        let items: Vec<u64> = vec![60, 45, 30, 15, 0];
        let items: Vec<&u64> = items.iter().collect();
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut emitted = Vec::new();
        in_order(
            &items,
            3,
            |&ms| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // The first three wait for each other (a worker may start late on a busy
                // machine): they meet only if three run at once.
                let deadline = Instant::now() + Duration::from_secs(10);
                while most.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(ms));
                running.fetch_sub(1, Ordering::SeqCst);
                ms
            },
            |ms| emitted.push(ms),
        );
        assert_eq!(emitted, [60, 45, 30, 15, 0]);
        assert_eq!(most.load(Ordering::SeqCst), 3);

        let mut none = Vec::new();
        in_order(&[] as &[&u64], 4, |&n| n, |n| none.push(n));
        assert!(none.is_empty());
    }

    #[test]
    fn exercises_in_the_books_order_with_their_chapters_are_fine() {
        let found = problems(&[
            ("a", Some("p1/one.md")),
            ("b", Some("p1/one.md")),
            ("c", Some("p2/three.md")),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_missing_chapter_one_not_in_the_book_and_the_wrong_order_are_problems() {
        let found = problems(&[
            ("a", Some("p2/three.md")),
            ("b", Some("p1/two.md")),
            ("c", None),
            ("d", Some("p9/nowhere.md")),
        ]);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("c: exercises/c/Cargo.toml names no chapter"));
        assert!(found[1].starts_with("d: its chapter \"p9/nowhere.md\" is in no part"));
        assert!(found[2].starts_with("b: its chapter comes before a's"));
    }

    #[test]
    fn a_chapter_that_does_not_show_its_exercise_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let course = course(dir.path(), &[("a", Some("p1/one.md"))]);
        std::fs::write(dir.path().join("book/src/p1/one.md"), "# One\n").unwrap();
        let all: Vec<&Exercise> = course.exercises.iter().collect();
        let found = chapter_problems(&course, &all, &Contents::read(&course.root));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("book/src/p1/one.md does not show the exercise"));
    }
}
