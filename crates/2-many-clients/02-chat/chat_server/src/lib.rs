//! The chat server's line handling, apart from the sockets so it can be tested alone.

/// The longest line a client may send, newline excluded. A longer one gets the client
/// disconnected: the server will not hold an endless line in memory.
pub const MAX_LINE: usize = 1024;

/// How much output may wait for one client before the server stops reading from the
/// clients who talk to it: their lines wait (in their inboxes, then in the kernel's
/// buffers, and TCP slows them down) until this client has read its backlog down to
/// [`RESUME_BACKLOG`].
pub const MAX_BACKLOG: usize = 64 * 1024;

/// A full client (see [`MAX_BACKLOG`]) is no longer full once its backlog is down to
/// this. It must get there within the stall timeout, or it is dropped: reading half
/// a backlog in that time is what "still reading" means.
pub const RESUME_BACKLOG: usize = MAX_BACKLOG / 2;

/// Past this much waiting output a client is dropped at once. Only the server's own
/// notices (someone joined, someone left) can take an outbox past [`MAX_BACKLOG`], by
/// a line each, so a client that reads never gets here.
pub const HARD_BACKLOG: usize = 2 * MAX_BACKLOG;

/// A client sent a line longer than [`MAX_LINE`].
#[derive(Debug, PartialEq, Eq)]
pub struct LineTooLong;

// ANCHOR: inbox
/// The bytes a client has sent that have not been relayed yet: whole lines that
/// wait for room at their recipients, and the start of a line whose newline has
/// not arrived.
#[derive(Default)]
pub struct Inbox {
    bytes: Vec<u8>,
}

impl Inbox {
    /// Adds what `recv` returned.
    pub fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Whether a whole line is waiting.
    pub fn has_line(&self) -> bool {
        self.bytes.contains(&b'\n')
    }

    /// Whether the server may `recv` more from this client: only once every
    /// line it sent has been relayed, and while its unfinished line is within
    /// [`MAX_LINE`]. That bounds an inbox to one `recv` of lines and one line.
    pub fn ready_for_more(&self) -> bool {
        !self.has_line() && self.bytes.len() <= MAX_LINE
    }

    /// The next whole line (without `\n` or a `\r` before it), if one has
    /// arrived; an error if the next line is longer than [`MAX_LINE`], even
    /// before its newline arrives.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, LineTooLong>> {
        let Some(end) = self.bytes.iter().position(|&b| b == b'\n') else {
            return (self.bytes.len() > MAX_LINE).then_some(Err(LineTooLong));
        };
        let mut line: Vec<u8> = self.bytes.drain(..=end).collect();
        line.pop(); // the '\n'
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > MAX_LINE {
            return Some(Err(LineTooLong));
        }
        Some(Ok(line))
    }
}
// ANCHOR_END: inbox

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(inbox: &mut Inbox) -> (Vec<Vec<u8>>, Result<(), LineTooLong>) {
        let mut lines = Vec::new();
        while let Some(line) = inbox.next_line() {
            match line {
                Ok(line) => lines.push(line),
                Err(e) => return (lines, Err(e)),
            }
        }
        (lines, Ok(()))
    }

    fn push(inbox: &mut Inbox, bytes: &[u8]) -> (Vec<Vec<u8>>, Result<(), LineTooLong>) {
        inbox.push(bytes);
        lines(inbox)
    }

    #[test]
    fn the_backlog_bounds_are_the_ones_the_book_gives() {
        // What a reader of the chat chapter is told the server does.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../../book/src/part2/chat.md"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let (max, resume, hard) = (
            MAX_BACKLOG / 1024,
            RESUME_BACKLOG / 1024,
            HARD_BACKLOG / 1024,
        );
        for claim in [
            format!("it went over {max} KiB, and has not been read down to {resume} KiB since"),
            format!("an outbox that still reaches {hard} KiB"),
        ] {
            assert!(
                text.contains(&claim),
                "book/src/part2/chat.md should say {claim:?}"
            );
        }
        assert_eq!(
            MAX_BACKLOG % 1024 + RESUME_BACKLOG % 1024 + HARD_BACKLOG % 1024,
            0
        );
    }

    #[test]
    fn a_line_split_across_reads_comes_out_whole() {
        let mut inbox = Inbox::default();
        assert_eq!(push(&mut inbox, b"hel"), (vec![], Ok(())));
        assert!(!inbox.has_line());
        assert_eq!(
            push(&mut inbox, b"lo\r\nwor"),
            (vec![b"hello".to_vec()], Ok(()))
        );
        assert_eq!(
            push(&mut inbox, b"ld\n\n"),
            (vec![b"world".to_vec(), b"".to_vec()], Ok(()))
        );
    }

    #[test]
    fn lines_wait_in_the_inbox_until_they_are_taken() {
        let mut inbox = Inbox::default();
        inbox.push(b"one\ntwo\nthr");
        assert!(inbox.has_line() && !inbox.ready_for_more());
        assert_eq!(inbox.next_line(), Some(Ok(b"one".to_vec())));
        assert!(inbox.has_line());
        assert_eq!(inbox.next_line(), Some(Ok(b"two".to_vec())));
        assert!(!inbox.has_line() && inbox.ready_for_more());
        assert_eq!(inbox.next_line(), None);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_even_before_its_newline() {
        let mut inbox = Inbox::default();
        assert_eq!(push(&mut inbox, &[b'x'; MAX_LINE]), (vec![], Ok(())));
        assert!(inbox.ready_for_more());
        assert_eq!(push(&mut inbox, b"y"), (vec![], Err(LineTooLong)));
        assert!(!inbox.ready_for_more());
        let mut inbox = Inbox::default();
        let mut long = vec![b'x'; MAX_LINE + 1];
        long.push(b'\n');
        assert_eq!(push(&mut inbox, &long), (vec![], Err(LineTooLong)));
        let mut exact = vec![b'x'; MAX_LINE];
        exact.push(b'\n');
        assert_eq!(
            push(&mut Inbox::default(), &exact),
            (vec![exact[..MAX_LINE].to_vec()], Ok(()))
        );
    }

    #[test]
    fn the_lines_before_an_over_long_one_are_given_back_before_the_error() {
        let mut burst = b"one\ntwo\n".to_vec();
        burst.extend_from_slice(&[b'x'; MAX_LINE + 1]);
        assert_eq!(
            push(&mut Inbox::default(), &burst),
            (vec![b"one".to_vec(), b"two".to_vec()], Err(LineTooLong))
        );
    }
}
