//! `shm_board pin 3 "back at 5"` pins a note into slot 3 of a board in System V shared
//! memory; `shm_board show` prints the notes; `shm_board hold` stays attached until its
//! input ends; `shm_board remove` removes the board. This file is complete; your part is
//! in `src/lib.rs`.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shm_board::{Board, SLOTS};

/// A notice board of 16 slots in a System V shared memory segment.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
    /// An existing file or folder that names the board (ftok).
    #[arg(long, global = true, default_value = ".")]
    key_file: PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// Pin NOTE (at most 64 bytes) into SLOT (0 to 15); an empty NOTE clears it.
    Pin { slot: usize, note: String },
    /// Print every note, `SLOT: NOTE`, and how many processes have the board attached.
    Show,
    /// Stay attached until stdin ends, then detach.
    Hold,
    /// Remove the board (it goes when the last process detaches).
    Remove,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(run(args).map_err(Into::into))
}

fn run(args: Args) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match args.command {
        Cmd::Pin { slot, note } => {
            let board = Board::open(&args.key_file, true)?;
            board.pin(slot, note.as_bytes())?;
            writeln!(out, "pinned to slot {slot} of board {}", board.id())
        }
        Cmd::Show => {
            let board = Board::open(&args.key_file, false)?;
            for slot in 0..SLOTS {
                let note = board.note(slot)?;
                if !note.is_empty() {
                    writeln!(out, "{slot}: {}", String::from_utf8_lossy(&note))?;
                }
            }
            writeln!(out, "attached: {}", board.attached()?)
        }
        Cmd::Hold => {
            let board = Board::open(&args.key_file, false)?;
            writeln!(out, "holding board {}", board.id())?;
            out.flush()?;
            io::stdin().read_to_end(&mut Vec::new())?;
            Ok(())
        }
        Cmd::Remove => {
            let board = Board::open(&args.key_file, false)?;
            board.remove()?;
            writeln!(out, "removed board {}", board.id())
        }
    }
}
