//! `cargo lab watch`: checks the current exercise whenever its sources change.

use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::check;
use crate::course::Course;
use crate::hint;
use crate::list;
use crate::progress::Progress;

pub fn run(course: &Course) -> Result<bool, String> {
    // How often to look at the files, and when to give up on an idle session.
    const POLL: Duration = Duration::from_millis(500);
    const IDLE: Duration = Duration::from_secs(60 * 60);
    let (keys, typed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if keys.send(line.trim().to_owned()).is_err() {
                break;
            }
        }
        // The end of the input (no terminal: an editor's task runner, `< /dev/null`)
        // closes the channel; watching goes on without keys.
    });
    let Some(mut exercise) = Progress::load(course).next(course) else {
        println!("every exercise passes its visible tests");
        return Ok(true);
    };
    let help =
        "watching: save a file to check again; Enter = check now, h = hint, l = list, q = quit";
    check::check(course, exercise)?;
    println!("\n{help}");
    let mut last_print = exercise.fingerprint();
    let mut last_change = Instant::now();
    let mut hint_number = 1;
    let mut keys_open = true;
    loop {
        if last_change.elapsed() > IDLE {
            println!("no change for an hour: stopping. `cargo lab watch` picks up where you were.");
            return Ok(true);
        }
        let mut run = false;
        match typed.recv_timeout(POLL) {
            Ok(key) => match key.as_str() {
                "q" => return Ok(true),
                "h" => {
                    if hint::show(exercise, hint_number).is_ok() {
                        hint_number += 1;
                    } else {
                        println!("no more hints for {}", exercise.name);
                    }
                }
                "l" => list::print(course),
                _ => run = true,
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if keys_open {
                    keys_open = false;
                    println!("(no more input: keys are off; Ctrl-C stops watching)");
                }
                std::thread::sleep(POLL);
            }
        }
        let print = exercise.fingerprint();
        if print != last_print {
            last_print = print;
            last_change = Instant::now();
            run = true;
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
            println!("\n{help}");
        }
    }
}
