//! mmapdemo and mmap_anon as black boxes.

use std::path::Path;

use testkit::run;

const MMAPDEMO: &str = env!("CARGO_BIN_EXE_mmapdemo");
const MMAP_ANON: &str = env!("CARGO_BIN_EXE_mmap_anon");

#[test]
fn mmapdemo_reads_the_byte_at_each_offset() {
    let file =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmap-{}.txt", std::process::id()));
    std::fs::write(&file, b"Hello, mmap!\n").unwrap();
    let file = file.to_str().unwrap();
    for (offset, shown) in [("0", "'H'"), ("7", "'m'"), ("11", "'!'"), ("12", "'\\n'")] {
        let out = run(MMAPDEMO, &["--file", file, offset], b"");
        assert_eq!(out.code(), Some(0), "{out:?}");
        assert_eq!(out.stdout, format!("byte at offset {offset} is {shown}\n"));
    }
    let out = run(MMAPDEMO, &["--file", file, "13"], b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr, "mmapdemo: offset must be in the range 0-12\n");
}

#[test]
fn mmapdemo_maps_its_own_source_by_default() {
    let out = run(MMAPDEMO, &["2"], b"");
    assert_eq!(out.stdout, "byte at offset 2 is '!'\n"); // the file starts with //!
}

// ANCHOR: shared_or_private
#[test]
fn a_shared_page_shows_the_childs_write_and_a_private_one_does_not() {
    let out = run(MMAP_ANON, &[], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let child = lines[1].strip_prefix("child: writing ").unwrap();
    assert_eq!(lines[0], "parent: the page says \"written by the parent\"");
    assert_eq!(
        lines[2],
        format!("parent: after the child exited, the page says {child}")
    );

    let out = run(MMAP_ANON, &["--private"], b"");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[1].starts_with("child: writing \"written by the child"));
    assert_eq!(
        lines[2],
        "parent: after the child exited, the page says \"written by the parent\""
    );
}
// ANCHOR_END: shared_or_private
