//! `cargo lab watch`: checks the current exercise again whenever one of its files is
//! saved, and moves on to the next exercise when it passes.
//!
//! Three sources feed one channel: the file system (`notify`: the kernel says when a file
//! changes, nothing is polled), the keyboard (`crossterm`: single keys in raw mode, when
//! stdin is a terminal), or lines of stdin (when it is not: an editor's task runner,
//! `< /dev/null`). The terminal is in raw mode only while waiting for the next event, so
//! what a check prints reads as usual; it is put back on every way out, a panic included.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{self as keys, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use notify::{EventKind, RecursiveMode, Watcher};

use crate::check;
use crate::course::Course;
use crate::hint;
use crate::list;
use crate::progress::Progress;

/// When to give up on an idle session.
const IDLE: Duration = Duration::from_secs(60 * 60);
/// An editor's save is often several events (write a copy, rename it over the file):
/// the first one is acted on once they have settled.
const SETTLE: Duration = Duration::from_millis(50);

const HELP: &str =
    "watching: save a file to check again; Enter = check now, h = hint, l = list, q = quit";

enum Event {
    /// A file under `exercises/` changed.
    Changed(PathBuf),
    Key(Key),
    /// The input has ended: watching goes on without keys.
    KeysGone,
}

enum Key {
    Check,
    Hint,
    List,
    Quit,
}

pub fn run(course: &Course) -> Result<bool, String> {
    let Some(mut exercise) = Progress::load(course).next(course) else {
        println!("every exercise passes its visible tests");
        return Ok(true);
    };
    let (events, incoming) = mpsc::channel();
    let exercises = course
        .exercises_dir()
        .canonicalize()
        .map_err(|e| format!("{}: {e}", course.exercises_dir().display()))?;
    let _watcher = watch_files(&exercises, events.clone())?;
    let keyboard = Keyboard::new(std::io::stdin().is_terminal());
    if keyboard.terminal {
        keys_from_terminal(events);
    } else {
        keys_from_lines(events);
    }

    check::check(course, exercise)?;
    println!("\n{HELP}");
    let mut last_print = exercise.fingerprint();
    let mut last_change = Instant::now();
    let mut hint_number = 1;
    loop {
        let event =
            keyboard.wait(|| incoming.recv_timeout(IDLE.saturating_sub(last_change.elapsed())));
        let mut run = false;
        match event {
            Err(RecvTimeoutError::Timeout) => {
                println!(
                    "no change for an hour: stopping. `cargo lab watch` picks up where you were."
                );
                return Ok(true);
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the file watcher stopped".to_owned());
            }
            Ok(Event::Key(Key::Quit)) => return Ok(true),
            Ok(Event::Key(Key::Hint)) => {
                if hint::show(exercise, hint_number).is_ok() {
                    hint_number += 1;
                } else {
                    println!("no more hints for {}", exercise.name);
                }
            }
            Ok(Event::Key(Key::List)) => list::print(course),
            Ok(Event::Key(Key::Check)) => run = true,
            Ok(Event::KeysGone) => {
                println!("(no more input: keys are off; Ctrl-C stops watching)");
            }
            Ok(Event::Changed(path)) => {
                let src = exercise
                    .src()
                    .canonicalize()
                    .unwrap_or_else(|_| exercise.src());
                if !path.starts_with(&src) {
                    continue;
                }
                thread::sleep(SETTLE);
                // Only a change of content counts (not a save of the same text, nor
                // the rest of the events one save made).
                let print = exercise.fingerprint();
                if print != last_print {
                    last_print = print;
                    last_change = Instant::now();
                    run = true;
                }
            }
        }
        if run {
            if check::check(course, exercise)? {
                match Progress::load(course).next(course) {
                    Some(next) if next.name != exercise.name => {
                        exercise = next;
                        hint_number = 1;
                        println!("\non to {}", exercise.name);
                        check::check(course, exercise)?;
                        last_print = exercise.fingerprint();
                    }
                    Some(_) => {}
                    None => {
                        println!("all done!");
                        return Ok(true);
                    }
                }
            }
            println!("\n{HELP}");
        }
    }
}

/// Sends an event for every file created, changed or removed under `dir`. The kernel
/// tells (inotify); only where it cannot (too many watches) are the files polled.
fn watch_files(dir: &Path, events: Sender<Event>) -> Result<Box<dyn Watcher>, String> {
    let handler = move |result: notify::Result<notify::Event>| {
        let Ok(event) = result else { return };
        if matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) {
            for path in event.paths {
                let _ = events.send(Event::Changed(path));
            }
        }
    };
    let native = notify::recommended_watcher(handler.clone()).and_then(|mut watcher| {
        watcher.watch(dir, RecursiveMode::Recursive)?;
        Ok(watcher)
    });
    match native {
        Ok(watcher) => Ok(Box::new(watcher)),
        Err(e) => {
            eprintln!(
                "cargo lab: the kernel cannot watch {} ({e}); looking at the files twice a second instead",
                dir.display()
            );
            let config = notify::Config::default().with_poll_interval(Duration::from_millis(500));
            let mut watcher = notify::PollWatcher::new(handler, config)
                .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
            watcher
                .watch(dir, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
            Ok(Box::new(watcher))
        }
    }
}

/// Single keys from the terminal, without Enter (read in raw mode, see `Keyboard`).
fn keys_from_terminal(events: Sender<Event>) {
    thread::spawn(move || {
        loop {
            let Ok(event) = keys::read() else {
                let _ = events.send(Event::KeysGone);
                return;
            };
            let keys::Event::Key(key) = event else {
                continue;
            };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            let key = match key.code {
                // Raw mode turns Ctrl-C into a key: it stops watching, as it would have.
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
                KeyCode::Char('q' | 'Q') => Key::Quit,
                KeyCode::Char('h' | 'H') => Key::Hint,
                KeyCode::Char('l' | 'L') => Key::List,
                KeyCode::Enter => Key::Check,
                _ => continue,
            };
            if events.send(Event::Key(key)).is_err() {
                return;
            }
        }
    });
}

/// Keys as lines of stdin, when it is not a terminal: `q`, `h`, `l`, anything else checks.
/// At the end of the input watching goes on, without keys.
fn keys_from_lines(events: Sender<Event>) {
    thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let key = match line.trim() {
                "q" => Key::Quit,
                "h" => Key::Hint,
                "l" => Key::List,
                _ => Key::Check,
            };
            if events.send(Event::Key(key)).is_err() {
                return;
            }
        }
        let _ = events.send(Event::KeysGone);
    });
}

/// The terminal's mode: raw (keys come one by one, unechoed) only while `wait`ing, so
/// that what `check` and the hints print reads as usual. Put back when dropped, and by a
/// panic hook before a panic message is printed.
struct Keyboard {
    terminal: bool,
}

impl Keyboard {
    fn new(terminal: bool) -> Keyboard {
        if terminal {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = terminal::disable_raw_mode();
                previous(info);
            }));
        }
        Keyboard { terminal }
    }

    /// Runs `wait` with the terminal in raw mode.
    fn wait<T>(&self, wait: impl FnOnce() -> T) -> T {
        if self.terminal {
            let _ = terminal::enable_raw_mode();
        }
        let result = wait();
        self.cooked();
        result
    }

    fn cooked(&self) {
        if self.terminal {
            let _ = terminal::disable_raw_mode();
        }
    }
}

impl Drop for Keyboard {
    fn drop(&mut self) {
        self.cooked();
    }
}
