//! The default site, built into the binary.
//!
//! Without `--root` the server serves these files. They are compiled in with
//! `include_bytes!`, so the binary needs nothing at run time: `cargo install` copies only
//! the executable, and a path to this source folder, baked in at build time, would name
//! a folder that the machine running the server does not have.

/// Every file of `site/`, by its path under the root.
pub const SITE: &[(&str, &[u8])] = &[
    ("app.js", include_bytes!("../site/app.js")),
    ("docs/index.html", include_bytes!("../site/docs/index.html")),
    ("form.html", include_bytes!("../site/form.html")),
    (
        "images/socket.svg",
        include_bytes!("../site/images/socket.svg"),
    ),
    ("index.html", include_bytes!("../site/index.html")),
    ("style.css", include_bytes!("../site/style.css")),
];

/// The built-in file at `path` (relative, `docs/index.html`), if there is one: its
/// path and its bytes.
pub fn file(path: &str) -> Option<(&'static str, &'static [u8])> {
    SITE.iter().find(|(p, _)| *p == path).copied()
}

/// Whether `path` is a folder of the built-in site (`""` is the root).
pub fn is_folder(path: &str) -> bool {
    path.is_empty()
        || SITE.iter().any(|(p, _)| {
            p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The list above and the folder agree: a file added to `site/` must be added here.
    #[test]
    fn every_file_of_the_site_folder_is_built_in() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/site"));
        let mut found = Vec::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    let name = path
                        .strip_prefix(root)
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_owned();
                    let bytes = file(&name).map(|(_, bytes)| bytes);
                    assert_eq!(bytes, Some(&*std::fs::read(&path).unwrap()), "{name}");
                    found.push(name);
                }
            }
        }
        assert_eq!(found.len(), SITE.len(), "{found:?}");
        assert!(is_folder("") && is_folder("docs") && is_folder("images"));
        assert!(!is_folder("doc") && !is_folder("index.html"));
    }
}
