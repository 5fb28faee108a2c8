//! The book's table of contents (`book/src/SUMMARY.md`): which part of the course each
//! chapter is in. `cargo lab list` groups the exercises under these parts.

use std::path::Path;

/// The parts of the book, in order, each with the chapters (paths relative to `book/src`)
/// listed under it.
#[derive(Debug, Default)]
pub struct Contents {
    parts: Vec<(String, Vec<String>)>,
}

impl Contents {
    /// Reads `book/src/SUMMARY.md` under the course root; a course without one has no
    /// parts (and the list shows no headings).
    pub fn read(root: &Path) -> Contents {
        std::fs::read_to_string(root.join("book/src/SUMMARY.md"))
            .map(|text| Contents::parse(&text))
            .unwrap_or_default()
    }

    /// mdBook's summary format: a `# ` heading before the first chapter is the book's
    /// title; every later one starts a part; a chapter is a line `- [Title](path.md)`
    /// (or, before the first part, `[Title](path.md)`).
    pub fn parse(summary: &str) -> Contents {
        let mut parts: Vec<(String, Vec<String>)> = Vec::new();
        let mut seen_a_chapter = false;
        for line in summary.lines().map(str::trim) {
            if let Some(title) = line.strip_prefix("# ") {
                if seen_a_chapter {
                    parts.push((title.trim().to_owned(), Vec::new()));
                }
            } else if let Some(path) = link_target(line) {
                seen_a_chapter = true;
                if let Some((_, chapters)) = parts.last_mut() {
                    chapters.push(path.to_owned());
                }
            }
        }
        Contents { parts }
    }

    /// The title of the part `chapter` (`part1/udp-upper.md`) is in.
    pub fn part_of(&self, chapter: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(_, chapters)| chapters.iter().any(|c| c == chapter))
            .map(|(title, _)| title.as_str())
    }

    /// Where `chapter` comes in the book, counting every chapter in order.
    pub fn position(&self, chapter: &str) -> Option<usize> {
        self.parts
            .iter()
            .flat_map(|(_, chapters)| chapters)
            .position(|c| c == chapter)
    }
}

/// The target of a summary line's link: `- [Title](part1/x.md)` gives `part1/x.md`.
fn link_target(line: &str) -> Option<&str> {
    let line = line.strip_prefix("- ").unwrap_or(line);
    if !line.starts_with('[') {
        return None;
    }
    let start = line.find("](")? + 2;
    let end = start + line[start..].find(')')?;
    Some(&line[start..end]).filter(|target| !target.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "# Summary\n\n[Introduction](introduction.md)\n\n\
        # Part 1 — The lecture: TCP and UDP\n\n- [TCP](part1/tcp-upper.md)\n\
        - [UDP](part1/udp-upper.md)\n\n# Part 2 — Many clients at once\n\n\
        - [Many](part2/many-clients.md)\n    - [Nested](part2/nested.md)\n- [Draft]()\n";

    #[test]
    fn chapters_are_found_in_their_parts() {
        let contents = Contents::parse(SUMMARY);
        assert_eq!(
            contents.part_of("part1/udp-upper.md"),
            Some("Part 1 — The lecture: TCP and UDP")
        );
        assert_eq!(
            contents.part_of("part2/nested.md"),
            Some("Part 2 — Many clients at once")
        );
        // The book's title is no part, and what comes before the first part is in none.
        assert_eq!(contents.part_of("introduction.md"), None);
        assert_eq!(contents.part_of("part9/nowhere.md"), None);
        assert_eq!(contents.position("part1/tcp-upper.md"), Some(0));
        assert_eq!(contents.position("part2/many-clients.md"), Some(2));
        assert_eq!(contents.position("introduction.md"), None);
    }

    #[test]
    fn no_summary_means_no_parts() {
        let contents = Contents::read(Path::new("/nonexistent/course"));
        assert_eq!(contents.part_of("part1/tcp-upper.md"), None);
    }
}
