//! Where cached responses live: a table from URL to response, bounded in bytes, that
//! throws out the least recently used responses to make room.
//!
//! Every client thread shares one [`Store`] behind a mutex, held only for a lookup or an
//! insertion, never while bytes go over a socket: an [`Entry`] is handed out as an `Arc`,
//! so a thread can send a large body to a slow client while the others use the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::cache::Stored;

/// One cached response: what the rules look at, and the body.
#[derive(Debug)]
pub struct Entry {
    pub stored: Stored,
    /// Shared, so that a 304 can give the entry new fields without copying the body.
    pub body: Arc<[u8]>,
}

impl Entry {
    /// The bytes this entry counts for: its body, its fields, and its key.
    pub fn size(&self, key: &str) -> usize {
        key.len()
            + self.body.len()
            + self.stored.headers.wire_len()
            + self.stored.request_headers.wire_len()
    }
}

/// What an insertion did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Inserted {
    /// The keys thrown out to make room, oldest use first, with their sizes.
    pub evicted: Vec<(String, usize)>,
    /// How many entries, and how many bytes, the store holds now.
    pub objects: usize,
    pub bytes: usize,
}

// ANCHOR: store
/// The cache's table: at most `limit` bytes of entries (see [`Entry::size`]).
pub struct Store {
    limit: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Key → entry, with the tick of its last use.
    entries: HashMap<String, (Arc<Entry>, u64)>,
    /// Tick of last use → key: the first one is the least recently used.
    by_use: BTreeMap<u64, String>,
    /// Counts every use; never repeats.
    clock: u64,
    bytes: usize,
}

impl Store {
    pub fn new(limit: usize) -> Store {
        Store {
            limit,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The bound, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A thread that panicked while holding the lock left the table consistent: every
        // change below is made under the lock and cannot panic half way.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, counted as used now.
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let mut inner = self.inner();
        inner.clock += 1;
        let now = inner.clock;
        let (entry, last_use) = inner.entries.get_mut(key)?;
        let entry = Arc::clone(entry);
        let before = std::mem::replace(last_use, now);
        inner.by_use.remove(&before);
        inner.by_use.insert(now, key.to_owned());
        Some(entry)
    }

    /// Stores `entry` under `key` (replacing what was there), after throwing out the least
    /// recently used entries until it fits. An entry larger than the whole store is not
    /// stored (`None`), and nothing is thrown out for it.
    pub fn insert(&self, key: &str, entry: Entry) -> Option<Inserted> {
        let size = entry.size(key);
        if size > self.limit {
            self.remove(key);
            return None;
        }
        let mut inner = self.inner();
        inner.take(key);
        let mut evicted = Vec::new();
        while inner.bytes + size > self.limit {
            let Some((_, oldest)) = inner.by_use.pop_first() else {
                break;
            };
            if let Some((gone, _)) = inner.entries.remove(&oldest) {
                let gone_size = gone.size(&oldest);
                inner.bytes -= gone_size;
                evicted.push((oldest, gone_size));
            }
        }
        inner.clock += 1;
        let now = inner.clock;
        inner.entries.insert(key.to_owned(), (Arc::new(entry), now));
        inner.by_use.insert(now, key.to_owned());
        inner.bytes += size;
        Some(Inserted {
            evicted,
            objects: inner.entries.len(),
            bytes: inner.bytes,
        })
    }

    /// Forgets `key` (a POST to it, a 404 on revalidation).
    pub fn remove(&self, key: &str) {
        self.inner().take(key);
    }

    /// How many entries, and how many bytes, the store holds.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.inner();
        (inner.entries.len(), inner.bytes)
    }
}

impl Inner {
    fn take(&mut self, key: &str) {
        if let Some((entry, last_use)) = self.entries.remove(key) {
            self.by_use.remove(&last_use);
            self.bytes -= entry.size(key);
        }
    }
}
// ANCHOR_END: store

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Headers;

    fn entry(body_len: usize) -> Entry {
        Entry {
            stored: Stored {
                headers: Headers::new(),
                ..Stored::default()
            },
            body: vec![b'x'; body_len].into(),
        }
    }

    #[test]
    fn the_least_recently_used_entries_go_first_and_the_bound_holds() {
        // Keys of 1 byte, bodies of 99: 100 bytes each, 350 fit three.
        let store = Store::new(350);
        for key in ["a", "b", "c"] {
            let done = store.insert(key, entry(99)).unwrap();
            assert!(done.evicted.is_empty());
        }
        assert_eq!(store.usage(), (3, 300));
        assert!(store.get("a").is_some()); // a is now the most recently used
        let done = store.insert("d", entry(99)).unwrap();
        assert_eq!(done.evicted, [("b".to_owned(), 100)]);
        assert!(store.get("b").is_none());
        // A big one pushes out everything older than it needs.
        let done = store.insert("e", entry(249)).unwrap();
        let gone: Vec<_> = done.evicted.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(gone, ["c", "a"]);
        assert_eq!(store.usage(), (2, 350));
    }

    #[test]
    fn replacing_an_entry_counts_its_bytes_once_and_an_oversized_one_is_refused() {
        let store = Store::new(1000);
        store.insert("k", entry(499)).unwrap();
        store.insert("k", entry(199)).unwrap();
        assert_eq!(store.usage(), (1, 200));
        assert!(store.insert("k", entry(1000)).is_none());
        assert_eq!(
            store.usage(),
            (0, 0),
            "the old copy of k is stale: it goes too"
        );
        store.insert("x", entry(9)).unwrap();
        store.remove("x");
        store.remove("x");
        assert_eq!(store.usage(), (0, 0));
    }

    #[test]
    fn many_inserts_never_pass_the_bound() {
        let store = Store::new(10_000);
        let mut state = 7u64;
        for i in 0..2_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let size = (state >> 33) as usize % 3_000;
            let key = format!("k{}", i % 37);
            if let Some(done) = store.insert(&key, entry(size)) {
                assert!(done.bytes <= 10_000);
            }
            if i % 3 == 0 {
                store.get(&format!("k{}", (i * 7) % 37));
            }
            assert!(store.usage().1 <= 10_000);
        }
    }
}
