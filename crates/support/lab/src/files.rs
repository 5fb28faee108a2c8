//! The files of a tree: listing them, making a folder hold exactly a set of them, and a
//! fingerprint to notice a change.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// The regular files under `dir`, as (path relative to `dir`, absolute path), in name
/// order. Symbolic links and `target` and `.git` folders are skipped; so is anything past
/// `limit` files.
pub fn files_under(dir: &Path, limit: usize) -> Vec<(PathBuf, PathBuf)> {
    WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !skipped(entry))
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .take(limit)
        .filter_map(|entry| {
            let rel = entry.path().strip_prefix(dir).ok()?.to_path_buf();
            Some((rel, entry.into_path()))
        })
        .collect()
}

/// Whether the walk leaves out `entry`: a `target` or `.git` folder below its start.
fn skipped(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0
        && entry.file_type().is_dir()
        && (entry.file_name() == "target" || entry.file_name() == ".git")
}

/// Makes `dest` hold exactly `files` (relative path -> source file). Files whose content
/// is already right are left alone, so cargo sees them unchanged and rebuilds only what
/// changed. Files in `dest` that are not wanted are removed (`target` folders are kept).
pub fn sync(dest: &Path, files: &BTreeMap<PathBuf, PathBuf>) -> io::Result<()> {
    for (rel, source) in files {
        let target = dest.join(rel);
        let content = fs::read(source)?;
        if fs::read(&target).ok().as_deref() != Some(content.as_slice()) {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&target, content)?;
        }
    }
    for (rel, path) in files_under(dest, usize::MAX) {
        // Cargo.lock files are cargo's to keep.
        if !files.contains_key(&rel) && rel.file_name().is_none_or(|n| n != "Cargo.lock") {
            fs::remove_file(path)?;
        }
    }
    // A folder left empty goes too: `lab-judge/*` is a workspace glob, and cargo refuses
    // a member folder without a Cargo.toml (an exercise whose tests moved to a probe).
    let folders: Vec<PathBuf> = WalkDir::new(dest)
        .min_depth(1)
        .into_iter()
        .filter_entry(|entry| !skipped(entry))
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_dir())
        .map(walkdir::DirEntry::into_path)
        .collect();
    // Listed parents first, so taken in reverse, a folder comes after everything in it.
    for folder in folders.iter().rev() {
        // Fails, as it should, for a folder that still holds something.
        let _ = fs::remove_dir(folder);
    }
    Ok(())
}

/// Adds every file under `dir` to `files`, placed under `prefix`.
pub fn add_tree(files: &mut BTreeMap<PathBuf, PathBuf>, dir: &Path, prefix: &Path) {
    for (rel, abs) in files_under(dir, usize::MAX) {
        files.insert(prefix.join(rel), abs);
    }
}

/// A fingerprint of the files under `dir` (names and contents), to notice changes. It is
/// FNV-1a, written out, because it is kept in `progress.txt`: std's hasher may change
/// from one Rust release to the next.
pub fn fingerprint(dir: &Path) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x100000001b3);
        }
    };
    for (rel, abs) in files_under(dir, 10_000) {
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&fs::read(abs).unwrap_or_default());
        feed(&[0]);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_listed_in_order_without_target_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "b.rs",
            "a/z.rs",
            "a/b/c.rs",
            "target/x.rs",
            "sub/target/y.rs",
        ] {
            let path = root.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, file).unwrap();
        }
        std::os::unix::fs::symlink(root.join("b.rs"), root.join("link.rs")).unwrap();
        let listed: Vec<PathBuf> = files_under(root, 100).into_iter().map(|f| f.0).collect();
        assert_eq!(listed, ["a/b/c.rs", "a/z.rs", "b.rs"].map(PathBuf::from));
        assert_eq!(files_under(root, 2).len(), 2);

        let before = fingerprint(root);
        fs::write(root.join("b.rs"), "changed").unwrap();
        assert_ne!(fingerprint(root), before);
    }

    #[test]
    fn sync_writes_what_is_wanted_and_removes_the_rest() {
        let from = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        fs::write(from.path().join("keep.rs"), "new").unwrap();
        fs::write(dest.path().join("old.rs"), "old").unwrap();
        fs::write(dest.path().join("Cargo.lock"), "lock").unwrap();
        fs::create_dir_all(dest.path().join("gone/tests")).unwrap();
        fs::write(dest.path().join("gone/tests/t.rs"), "old").unwrap();
        fs::create_dir_all(dest.path().join("target/debug")).unwrap();
        let mut files = BTreeMap::new();
        add_tree(&mut files, from.path(), Path::new("src"));
        sync(dest.path(), &files).unwrap();
        assert_eq!(
            fs::read_to_string(dest.path().join("src/keep.rs")).unwrap(),
            "new"
        );
        assert!(!dest.path().join("old.rs").exists());
        assert!(dest.path().join("Cargo.lock").exists());
        // No empty folder is left where files went (cargo would take it for a package).
        assert!(!dest.path().join("gone").exists());
        assert!(dest.path().join("target/debug").is_dir());
    }
}
